"""ONNX export of every model kind, checked by running the files in onnxruntime against torch on 100 codes (and 100
images for the encoders); the CLI's export command and its one-line errors."""
from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort  # noqa: E402 (a test dependency: these tests must fail, not skip, without it)
import pytest
import torch

from aelab.cli.main import main
from aelab.export.onnx import ExportError, decoder_onnx, encoder_onnx, export_model
from aelab.models.autoencoder import create_model
from aelab.models.variants import make_configs

TOLERANCE = 1e-5

KINDS = {  # name -> (variant, model changes)
    "mlp": ("ae", {"hidden": (64, 32), "latent_dim": 6}),
    "conv": ("conv_ae", {"latent_dim": 5}),
    "linear": ("linear_ae", {"latent_dim": 4}),
    "linear_tied": ("linear_ae", {"latent_dim": 4, "tied_weights": True}),
    "vae_mlp": ("vae", {"hidden": (64,), "latent_dim": 3}),
    "vae_conv": ("conv_vae", {"latent_dim": 2}),
    "pca": ("pca", {"latent_dim": 5}),
    "kmeans": ("kmeans", {"latent_dim": 6}),
    "soft_kmeans": ("soft_kmeans", {"latent_dim": 6}),
}


def _session(data: bytes):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module", params=sorted(KINDS))
def model(request, single_thread, mnist5k):
    variant, changes = KINDS[request.param]
    model_config, _ = make_configs(variant, (28, 28), changes)
    model = create_model(model_config, seed=3)
    if model_config.is_baseline:
        model.fit(mnist5k.x_train[:300])
    elif model_config.arch == "linear" and model_config.tied_weights:
        with torch.no_grad():  # a non-zero bias, so a wrong export of the tied decoder's bias would show
            model.decoder.bias.normal_(0, 0.1)
    return model.eval()


def test_the_decoder_matches_torch_on_100_codes(model):
    z = torch.randn(100, model.latent_dim, generator=torch.Generator().manual_seed(0)) * 2
    if model.config.arch in ("kmeans", "soft_kmeans"):  # their codes are assignments: points of the simplex
        z = torch.softmax(z, dim=1)
    out = _session(decoder_onnx(model)).run(["x_hat"], {"z": z.numpy()})[0]
    expected = model.decode(z).detach().numpy()
    assert out.shape == (100, 1, 28, 28)
    assert np.abs(out - expected).max() <= TOLERANCE


def test_the_encoder_matches_torch_on_100_images(model, mnist5k):
    x = mnist5k.x_test[:100]
    outputs = _session(encoder_onnx(model)).run(None, {"x": x.numpy()})
    mu, logvar = model.encode_distribution(x)
    assert np.abs(outputs[0] - mu.detach().numpy()).max() <= TOLERANCE
    assert len(outputs) == (2 if logvar is not None else 1)
    if logvar is not None:
        assert np.abs(outputs[1] - logvar.detach().numpy()).max() <= TOLERANCE


def test_one_code_decodes_too_the_batch_axis_is_dynamic():
    model = create_model(make_configs("ae", (8, 8), {"hidden": (16,), "latent_dim": 2})[0]).eval()
    out = _session(decoder_onnx(model)).run(None, {"z": np.ones((1, 2), np.float32)})[0]
    assert out.shape == (1, 1, 8, 8)
    assert np.abs(out - model.decode(torch.ones(1, 2)).detach().numpy()).max() <= TOLERANCE


class _Labelled(torch.nn.Module):
    """A conditional model: its decoder needs a class label besides the code."""

    def __init__(self):
        super().__init__()
        self.config = make_configs("ae", (8, 8), {"hidden": (16,), "latent_dim": 2})[0]

    def decode(self, z, label):
        return z.sum() + label


def test_a_decoder_with_extra_inputs_is_refused_with_a_reason():
    with pytest.raises(ExportError, match="extra inputs \\(label\\)"):
        decoder_onnx(_Labelled())


def test_a_module_that_cannot_be_traced_is_an_export_error():
    class Broken(_Labelled):
        def decode(self, z):
            raise RuntimeError("no graph here")

    with pytest.raises(ExportError, match="ONNX export failed: RuntimeError: no graph here"):
        decoder_onnx(Broken())


def test_export_model_writes_both_files_and_the_sidecar(tmp_path):
    model = create_model(make_configs("vae", (8, 8), {"hidden": (16,), "latent_dim": 3})[0])
    paths = export_model(model, tmp_path / "out", "tiny")
    assert [p.name for p in paths] == ["tiny.decoder.onnx", "tiny.encoder.onnx", "tiny.json"]
    meta = json.loads(paths[2].read_text())
    assert (meta["latent_dim"], meta["image_size"], meta["output_activation"]) == (3, [8, 8], "sigmoid")
    assert meta["encoder"]["outputs"] == {"z": ["batch", 3], "logvar": ["batch", 3]}
    assert [o.name for o in _session(paths[1].read_bytes()).get_outputs()] == ["z", "logvar"]


def test_the_cli_exports_a_pretrained_model(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "library"))
    assert main(["export", "pca", "--onnx", str(tmp_path / "onnx")]) == 0
    out = capsys.readouterr().out
    assert out.count("wrote ") == 3 and "pca.decoder.onnx" in out
    meta = json.loads((tmp_path / "onnx" / "pca.json").read_text())
    assert meta["latent_dim"] == 16 and meta["output_activation"] == "identity"


def test_the_cli_reports_an_unknown_model_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "library"))
    assert main(["export", "no-such-model", "--onnx", str(tmp_path / "onnx")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and not (tmp_path / "onnx").exists()


def test_the_cli_refuses_a_file_as_the_output_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "library"))
    (tmp_path / "taken").write_text("x")
    assert main(["export", "pca", "--onnx", str(tmp_path / "taken")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_export_zip_holds_the_three_files_in_one_folder():
    import io
    import zipfile

    from aelab.export.onnx import export_zip

    model = create_model(make_configs("pca", (8, 8), {"latent_dim": 3})[0])
    archive = zipfile.ZipFile(io.BytesIO(export_zip(model, "tiny")))
    assert sorted(archive.namelist()) == ["tiny-onnx/tiny.decoder.onnx", "tiny-onnx/tiny.encoder.onnx",
                                          "tiny-onnx/tiny.json"]
    assert json.loads(archive.read("tiny-onnx/tiny.json"))["latent_dim"] == 3
