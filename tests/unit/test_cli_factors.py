"""The CLI on a source with known factors: `encode` writes codes, labels and factors; `evaluate --json` adds MIG, DCI
(three numbers) and SAP; bad input is one `error:` line."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from aelab.cli.main import main
from aelab.data.sources import load_dataset
from aelab.library.store import load_model, resolve_model_path
from tests.patches import quick_factor_scores

MODEL = "shapes-beta-vae-16"


@pytest.fixture(autouse=True)
def private_library(tmp_path, monkeypatch):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "library"))




def test_encode_writes_the_means_labels_and_factors(tmp_path, capsys, single_thread):
    out = tmp_path / "codes.npz"
    assert main(["encode", MODEL, "--data", "shapes", "--out", str(out)]) == 0
    assert "4,000 codes of size 10" in capsys.readouterr().out
    dataset, model = load_dataset("shapes"), load_model(resolve_model_path(MODEL)).model
    with np.load(out, allow_pickle=False) as saved:
        assert saved["z"].shape == (4000, 10) and saved["z"].dtype == np.float32
        with torch.no_grad():
            means = model.encode(dataset.x_test[:100])  # the posterior mean, not a sample
        assert np.allclose(saved["z"][:100], means.numpy(), atol=1e-6)
        assert np.array_equal(saved["y"], dataset.y_test.numpy())
        assert np.array_equal(saved["factors"], dataset.factors.test)
        assert list(saved["factor_names"]) == ["shape", "scale", "rotation", "x", "y"]
        assert list(saved["factor_sizes"]) == list(dataset.factors.sizes)
        assert list(saved["class_names"]) == list(dataset.class_names) and str(saved["split"]) == "test"


def test_encode_of_all_images_and_of_a_source_without_factors(tmp_path, single_thread):
    assert main(["encode", MODEL, "--data", "shapes", "--split", "all", "--out", str(tmp_path / "all.npz")]) == 0
    with np.load(tmp_path / "all.npz") as saved:
        assert saved["z"].shape == (20_000, 10) and saved["factors"].shape == (20_000, 5)
    assert main(["encode", "ae", "--out", str(tmp_path / "mnist.npz")]) == 0
    with np.load(tmp_path / "mnist.npz") as saved:
        assert saved["z"].shape == (1000, 16) and "factors" not in saved.files


@pytest.mark.parametrize("args, message", [
    (["--out", "codes.csv"], "must name an .npz file"),
    (["--out", "missing-folder/codes.npz"], "does not exist"),
    (["--data", "digits", "--out", "codes.npz"], "has (8, 8) images"),
])
def test_encode_refuses_bad_input_with_one_line(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(["encode", MODEL, *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err


def test_encode_keeps_an_existing_file_unless_told(tmp_path, capsys):
    out = tmp_path / "codes.npz"
    out.write_bytes(b"mine")
    assert main(["encode", MODEL, "--data", "shapes", "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err and out.read_bytes() == b"mine"


def test_evaluate_json_adds_mig_dci_and_sap_on_shapes_only(monkeypatch, capsys, single_thread):
    quick_factor_scores(monkeypatch)
    assert main(["evaluate", MODEL, "--data", "shapes", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert {"mse", "kl", "mig", "dci", "sap"} <= set(metrics) and metrics["n"] == 4000
    assert len(metrics["dci"]) == 3 and all(0 <= v <= 1 for v in [metrics["mig"], metrics["sap"], *metrics["dci"]])
    assert main(["evaluate", MODEL, "--data", "shapes"]) == 0
    assert "dci=" in capsys.readouterr().out
    assert main(["evaluate", "ae", "--json"]) == 0
    assert "mig" not in json.loads(capsys.readouterr().out)


class _NoBoosting:
    """Stands for scikit-learn's GradientBoostingClassifier: any use of it fails the test."""

    def __init__(self, *args, **kwargs):
        raise AssertionError("gradient boosting ran (DCI) although only MIG and SAP were asked for")


def test_evaluate_metrics_mig_and_sap_runs_no_gradient_boosting(monkeypatch, capsys, single_thread):
    import sklearn.ensemble

    quick_factor_scores(monkeypatch)
    monkeypatch.setattr(sklearn.ensemble, "GradientBoostingClassifier", _NoBoosting)
    assert main(["evaluate", MODEL, "--data", "shapes", "--metrics", "mse,psnr,mig,sap", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert [k for k in metrics if k not in ("model", "variant", "data", "split")] == ["mse", "psnr", "mig", "sap"]
    assert 0 <= metrics["mig"] <= 1 and 0 <= metrics["sap"] <= 1
    assert main(["evaluate", MODEL, "--data", "shapes", "--metrics", "mig"]) == 0
    out = capsys.readouterr().out
    assert "mig=" in out and "mse=" not in out and "sap=" not in out


@pytest.mark.parametrize("model, metrics, message", [
    (MODEL, "mse,nope", "Unknown metric 'nope' in --metrics; valid: mse, psnr, bce, kl, neg_elbo, mig, dci, sap"),
    (MODEL, ",", "Unknown metric ','"),
    ("ae", "mig", "mig needs a source with known factors"),
    ("ae", "kl", "kl is defined for variational models only"),
])
def test_evaluate_refuses_metrics_it_cannot_compute_in_one_line(capsys, model, metrics, message):
    assert main(["evaluate", model, *(["--data", "shapes"] if model == MODEL else []), "--metrics", metrics]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err
