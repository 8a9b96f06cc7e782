"""ONNX export of any aelab model's decoder (z -> x_hat) and encoder (x -> z, and logvar for a VAE), as bytes or as
files with a JSON sidecar.

Uses torch's TorchScript exporter (``dynamo=False``): it needs only the ``onnx`` package, exports these small graphs
in well under a second, and onnxruntime matches torch within 1e-6 on them (tests/unit/test_export_onnx.py). The
batch axis is dynamic, so one file decodes one code or a whole grid. Opset 17 is read by onnxruntime (Python) and by
onnxruntime-web, which runs the decoder in the browser (ui/components/live_decoder).
"""
from __future__ import annotations

import inspect
import io
import json
import warnings
import zipfile
from pathlib import Path

import torch
from torch import nn

from aelab.errors import AelabError
from aelab.models.config import ModelConfig
from aelab.models.protocol import Model

OPSET = 17
SIDECAR_FORMAT = 1


class ExportError(AelabError):
    """A model could not be exported to ONNX; the message says why (the app then decodes on the server)."""


class _Decode(nn.Module):
    """z: (B, latent_dim) -> x_hat: (B, 1, H, W), exactly model.decode (sigmoid included where the model has one)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.train(model.training)  # _export restores this mode afterwards: the model's own, not a new module's

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model.decode(z)


class _DecodeMapPoint(nn.Module):
    """uv: (B, 2) map coordinates -> x_hat: (B, 1, H, W): a map's learned inverse (aelab.analysis.inverse), then the
    model's decoder, as one graph."""

    def __init__(self, inverse: nn.Module, model: nn.Module):
        super().__init__()
        self.inverse, self.model = inverse, model
        self.train(model.training)

    def forward(self, uv: torch.Tensor) -> torch.Tensor:
        return self.model.decode(self.inverse(uv))


class _Encode(nn.Module):
    """x: (B, 1, H, W) -> z (the posterior mean for a VAE) and, for a VAE, logvar."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.train(model.training)

    def forward(self, x: torch.Tensor):
        mu, logvar = self.model.encode_distribution(x)
        return mu if logvar is None else (mu, logvar)


def _extra_inputs(method) -> list[str]:
    """Required parameters of encode/decode beyond the tensor itself (a class label, say): the exported graph would
    not have them, so such a model is refused rather than exported wrong."""
    return [name for name, p in list(inspect.signature(method).parameters.items())[1:]
            if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _export(module: nn.Module, example: torch.Tensor, inputs: list[str], outputs: list[str]) -> bytes:
    buffer = io.BytesIO()
    axes = {name: {0: "batch"} for name in inputs + outputs}
    was_training = module.training
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice, once per call
            torch.onnx.export(module.eval(), (example,), buffer, input_names=inputs, output_names=outputs,
                              dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True, dynamo=False)
    except Exception as err:  # any exporter failure means the same thing to the caller: no ONNX for this model
        raise ExportError(f"ONNX export failed: {type(err).__name__}: {' '.join(str(err).split())[:300]}") from err
    finally:
        module.train(was_training)
    return buffer.getvalue()


def _config(model: nn.Module) -> ModelConfig:
    """The model's config; a module that is no aelab model (the export takes any nn.Module) is refused."""
    config = getattr(model, "config", None)
    if not isinstance(config, ModelConfig):
        raise ExportError(f"{type(model).__name__} has no aelab ModelConfig; only aelab models can be exported.")
    return config


def _refuse_unbound_label(model: nn.Module) -> None:
    """A conditional model decodes nothing without its label, which the graph would not carry: bind one first."""
    if isinstance(model, Model) and model.conditional:
        raise ExportError("the model is conditional on a class label, which the export does not carry: bind one "
                          "first (aelab.models.conditional.with_label).")


def decoder_onnx(model: nn.Module) -> bytes:
    """The decoder as ONNX bytes: input "z" (B, latent_dim) float32 -> output "x_hat" (B, 1, H, W)."""
    config = _config(model)
    _refuse_unbound_label(model)
    extra = _extra_inputs(model.decode)
    if extra:
        raise ExportError(f"the decoder takes extra inputs ({', '.join(extra)}) that the export does not carry.")
    return _export(_Decode(model), torch.zeros(2, config.latent_dim), ["z"], ["x_hat"])


def map_decoder_onnx(model: nn.Module, inverse: nn.Module) -> bytes:
    """A map's learned inverse chained with the decoder, as ONNX bytes: input "z" (B, 2) float32, here the map's
    coordinates (the name the live decoder's runtime feeds) -> output "x_hat" (B, 1, H, W)."""
    _config(model)
    _refuse_unbound_label(model)
    if _extra_inputs(model.decode):
        raise ExportError("the decoder takes extra inputs that the export does not carry.")
    return _export(_DecodeMapPoint(inverse, model), torch.zeros(2, 2), ["z"], ["x_hat"])


def encoder_onnx(model: nn.Module) -> bytes:
    """The encoder as ONNX bytes: input "x" (B, 1, H, W) float32 in [0, 1] -> "z" (B, latent_dim), plus "logvar"
    for a variational model."""
    config = _config(model)
    _refuse_unbound_label(model)
    extra = _extra_inputs(model.encode_distribution)
    if extra:
        raise ExportError(f"the encoder takes extra inputs ({', '.join(extra)}) that the export does not carry.")
    outputs = ["z", "logvar"] if config.variational else ["z"]
    return _export(_Encode(model), torch.zeros(2, 1, *config.image_size), ["x"], outputs)


def file_names(name: str = "model") -> tuple[str, str, str]:
    """The files export_files makes for a model called name: (decoder, encoder, JSON sidecar)."""
    return f"{name}.decoder.onnx", f"{name}.encoder.onnx", f"{name}.json"


def sidecar(model: nn.Module, name: str = "model") -> dict:
    """What a program needs to use the two files: sizes, the output activation, input and output names."""
    config = _config(model)
    decoder_file, encoder_file, _ = file_names(name)
    return {"format": SIDECAR_FORMAT, "name": name, "arch": config.arch, "latent_dim": config.latent_dim,
            "image_size": list(config.image_size), "output_activation": config.output_activation,
            "variational": config.variational, "opset": OPSET,
            "decoder": {"file": decoder_file, "inputs": {"z": ["batch", config.latent_dim]},
                        "outputs": {"x_hat": ["batch", 1, *config.image_size]}},
            "encoder": {"file": encoder_file, "inputs": {"x": ["batch", 1, *config.image_size]},
                        "outputs": {"z": ["batch", config.latent_dim],
                                    **({"logvar": ["batch", config.latent_dim]} if config.variational else {})}}}


def export_files(model: nn.Module, name: str = "model") -> dict[str, bytes]:
    """{NAME.decoder.onnx, NAME.encoder.onnx, NAME.json: their bytes}: what the CLI writes and the app zips."""
    decoder_file, encoder_file, sidecar_file = file_names(name)
    return {decoder_file: decoder_onnx(model), encoder_file: encoder_onnx(model),
            sidecar_file: json.dumps(sidecar(model, name), indent=2).encode()}


def export_zip(model: nn.Module, name: str = "model") -> bytes:
    """export_files as one zip archive (the app's download)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file_name, data in export_files(model, name).items():
            archive.writestr(f"{name}-onnx/{file_name}", data)
    return buffer.getvalue()


def export_model(model: nn.Module, out_dir: str | Path, name: str = "model") -> list[Path]:
    """Write NAME.decoder.onnx, NAME.encoder.onnx and NAME.json into out_dir; returns the three paths."""
    files = export_files(model, name)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for file_name, data in files.items():
        (out / file_name).write_bytes(data)
    return [out / file_name for file_name in files]
