"""The model commands of the CLI: train, evaluate, models, and their one-line errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aelab.cli.main import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def private_library(tmp_path, monkeypatch):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "library"))
    monkeypatch.setenv("AELAB_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="module")
def trained_digits_vae(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("models") / "tiny-vae"
    code = main(["train", "--variant", "vae", "--data", "digits", "--out", str(out), "--latent-dim", "4",
                 "--hidden", "32", "--epochs", "3", "--seed", "1", "--device", "cpu"])
    assert code == 0
    return out


def test_train_writes_a_loadable_model_folder(trained_digits_vae):
    config = json.loads((trained_digits_vae / "config.json").read_text())
    assert config["variant"] == "vae" and config["model"]["latent_dim"] == 4 and config["model"]["hidden"] == [32]
    assert config["model"]["image_size"] == [8, 8] and config["dataset"] == "digits"
    history = json.loads((trained_digits_vae / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert history[-1]["train"]["total"] < history[0]["train"]["total"]


def test_evaluate_json_has_the_documented_keys(trained_digits_vae, capsys):
    assert main(["evaluate", str(trained_digits_vae), "--data", "digits", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert {"mse", "psnr", "n", "kl", "neg_elbo"} <= set(metrics)
    assert metrics["n"] == 359 and 0 < metrics["mse"] < 0.2 and metrics["kl"] >= 0


def test_evaluate_a_deterministic_pretrained_model_has_no_kl(capsys):
    assert main(["evaluate", "ae", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert "kl" not in metrics and metrics["mse"] < 0.03 and metrics["n"] == 1000


def test_models_lists_pretrained_and_library(trained_digits_vae, capsys, monkeypatch):
    monkeypatch.setenv("AELAB_HOME", str(trained_digits_vae.parent))
    assert main(["models", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["vae"]["source"] == "pretrained" and rows["tiny-vae"]["source"] == "library"
    assert rows["tiny-vae"]["latent_dim"] == 4 and rows["tiny-vae"]["test_mse"] > 0


@pytest.mark.parametrize("argv, message", [
    (["train", "--variant", "nope", "--out", "x"], "Unknown variant 'nope'; valid: ae,"),
    (["train", "--variant", "ae", "--out", "x", "--latent-dim", "0", "--data", "digits"], "--latent-dim must be"),
    (["train", "--variant", "ae", "--out", "x", "--lr", "-1", "--data", "digits"], "--lr must be"),
    (["train", "--variant", "ae", "--out", "x", "--noise", "pink:0.3", "--data", "digits"], "Unknown noise type"),
    (["train", "--variant", "ae", "--out", "bad..name", "--data", "digits"], "Invalid model name"),
    (["train", "--variant", "ae", "--out", "x", "--data", "no-such-source"], "no-such-source"),
    (["evaluate", "no-such-model"], "No model named 'no-such-model'"),
])
def test_bad_arguments_give_one_line_and_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


TRAIN = ["train", "--variant", "vae", "--out", "x", "--data", "digits"]


@pytest.mark.parametrize("flag, text, message", [
    ("--lr", "NaN", "--lr must be a number above 0 and at most 10, got 'NaN'"),
    ("--lr", "1e9", "--lr must be a number above 0 and at most 10, got '1e9'"),
    ("--lr", "0", "--lr must be a number above 0"),
    ("--epochs", "1e9", "--epochs must be a whole number from 1 to 10000, got '1e9'"),
    ("--epochs", "0", "--epochs must be a whole number from 1 to 10000, got '0'"),
    ("--epochs", "2.5", "--epochs must be a whole number"),
    ("--batch-size", "-16", "--batch-size must be a whole number from 1 to 65536"),
    ("--latent-dim", "-4", "--latent-dim must be a whole number from 1 to 4096, got '-4'"),
    ("--latent-dim", "nan", "--latent-dim must be a whole number"),
    ("--hidden", "64,-1", "--hidden must be whole numbers from 1 to 8192"),
    ("--hidden", "1e9", "--hidden must be whole numbers from 1 to 8192"),
    ("--beta", "inf", "--beta must be a number from 0 to 10000, got 'inf'"),
    ("--beta", "-1", "--beta must be a number from 0 to 10000"),
    ("--seed", "-1", "--seed must be a whole number from 0 to"),
    ("--noise", "gaussian:nan", "--noise gaussian:LEVEL must be a number above 0 and at most 10, got 'nan'"),
    ("--noise", "gaussian:1e9", "--noise gaussian:LEVEL must be a number above 0 and at most 10"),
    ("--noise", "box:2.5", "--noise box:LEVEL must be a whole number above 0 and at most 256"),
    ("--noise", "gaussian:abc", "--noise gaussian:LEVEL must be a number"),
])
def test_out_of_range_numbers_give_one_line_and_exit_2(flag, text, message, capsys, tmp_path, monkeypatch):
    """The same ranges as the Train page's form (both come from aelab.models.config.RANGES)."""
    monkeypatch.chdir(tmp_path)
    assert main([*TRAIN, flag, text]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    assert not (tmp_path / "x").exists()


def test_a_model_of_another_image_size_is_refused(trained_digits_vae, capsys):
    assert main(["evaluate", str(trained_digits_vae), "--data", "mnist-5k"]) == 2
    assert "(8, 8)" in capsys.readouterr().err


def test_a_corrupt_model_folder_is_refused(tmp_path, capsys):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "config.json").write_text("{not json")
    (folder / "model.safetensors").write_bytes(b"junk")
    assert main(["evaluate", str(folder)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_the_module_entry_point_exits_nonzero_with_one_line():
    done = subprocess.run([sys.executable, "-m", "aelab", "evaluate", "no-such-model"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.strip().startswith("error: No model named")


def test_models_marks_invalid_entries_with_their_reason(tmp_path, capsys):
    import os
    import shutil

    home = Path(os.environ["AELAB_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    for name in ("good", "cut"):
        shutil.copytree(REPO / "pretrained" / "digits-ae", home / name)
    weights = home / "cut" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10])
    assert main(["models"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "invalid" not in lines["good"] and "cannot be loaded" in lines["cut"] and "truncated" in lines["cut"]
    assert main(["models", "--json"]) == 0
    errors = {m["name"]: m["error"] for m in json.loads(capsys.readouterr().out)}
    assert errors["good"] is None and "truncated" in errors["cut"]
