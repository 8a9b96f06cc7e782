"""`python -m aelab toy`: train prints the page's metrics as JSON; bad input is one error line and exit code 2."""
from __future__ import annotations

import json

import pytest

from aelab.cli.main import main

pytestmark = pytest.mark.usefixtures("single_thread")


def test_toy_train_prints_the_distances_and_the_reconstruction_error_as_json(capsys):
    code = main(["toy", "train", "--data", "circle", "--variant", "denoising_ae", "--n", "300", "--epochs", "30",
                 "--json"])
    assert code == 0
    metrics = json.loads(capsys.readouterr().out)
    assert {"noisy_distance", "denoised_distance", "recon_error", "iterated_distance"} <= set(metrics)
    assert metrics["epochs"] == 30 and metrics["n"] == 300 and metrics["corruption"] == 0.3
    assert metrics["denoised_distance"] < metrics["noisy_distance"]


def test_toy_list_names_the_sets_and_variants(capsys):
    assert main(["toy", "list"]) == 0
    out = capsys.readouterr().out
    assert "spiral" in out and "swiss_roll" in out and "contractive_ae" in out


@pytest.mark.parametrize("argv, message", [
    (["--data", "spirl"], "Unknown toy set 'spirl'"),
    (["--variant", "conv_ae"], "Unknown toy variant 'conv_ae'"),
    (["--n", "5"], "between 50 and 5000"),
    (["--corruption", "-1"], "noise_level"),
])
def test_bad_arguments_are_one_error_line_and_exit_2(argv, message, capsys):
    assert main(["toy", "train", *argv, "--epochs", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
