"""The checks every model variant passes, in the manner of scikit-learn's check_estimator: one function per property,
each taking a ModelCase, gathered in CHECKS. tests/unit/test_model.py runs every check on every variant
(aelab.models.variants.VARIANTS) at two image sizes; a new property of every model is one more function here, added
to CHECKS, and every variant is held to it at once.

Each check raises AssertionError (or pytest.fail) with the variant in the message; tmp_path is a fresh folder.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from aelab.models.conditional import with_label
from aelab.models.config import ModelConfig, TrainConfig
from aelab.models.protocol import Model

# onnxruntime against torch on these small graphs: the largest gap measured was 3e-7 (COOKBOOK.md; the decoders of
# every variant here, 8x8 and 28x28): the bound leaves a factor of 30 for other CPUs' kernels.
ONNX_TOLERANCE = 1e-5


@dataclass
class ModelCase:
    """One variant's model as the checks see it: model (a conditional one unbound, in eval mode), its configs, a
    batch x (B, 1, H, W) in [0, 1] and its labels y (B,)."""

    variant: str
    model: Model
    model_config: ModelConfig
    train_config: TrainConfig
    x: torch.Tensor
    y: torch.Tensor

    @property
    def labels(self) -> dict[str, torch.Tensor]:
        """The keyword a forward call takes: the labels for a conditional model, nothing for the others."""
        return {"y": self.y} if self.model.conditional else {}


def check_satisfies_the_protocol(case: ModelCase, tmp_path: Path) -> None:
    """The model is an aelab.models.protocol.Model whose config, latent size and conditionality agree; bound to a
    label, a conditional model is a Model that needs none."""
    model, config = case.model, case.model_config
    assert isinstance(model, Model), f"{case.variant}: {type(model).__name__} is not an aelab Model"
    assert model.config == config and model.latent_dim == config.latent_dim, case.variant
    assert model.conditional == config.conditional, case.variant
    bound = with_label(model, int(case.y[0]))
    assert isinstance(bound, Model) and not bound.conditional, case.variant


def check_encode_and_decode_shapes(case: ModelCase, tmp_path: Path) -> None:
    """encode: (B, 1, H, W) -> (B, latent_dim); decode: back to (B, 1, H, W); forward's Output fields have the
    shapes its docstring gives (mu and logvar for a variational model only, codebook indices for a VQ-VAE)."""
    model, config, x = case.model, case.model_config, case.x
    batch, d = x.shape[0], config.latent_dim
    with torch.no_grad():
        z = model.encode(x, case.y)
        mu, logvar = model.encode_distribution(x, case.y)
        out = model(x, **case.labels)
        decoded = model.decode(z, case.y)
    assert z.shape == mu.shape == (batch, d), f"{case.variant}: codes {tuple(z.shape)}"
    assert decoded.shape == out.x_hat.shape == x.shape, f"{case.variant}: images {tuple(decoded.shape)}"
    assert out.z.shape == (batch, d), case.variant
    if config.variational:
        assert logvar.shape == out.mu.shape == out.logvar.shape == (batch, d), case.variant
    else:
        assert logvar is None and out.mu is None and out.logvar is None, case.variant
    if config.output_activation == "sigmoid":
        assert out.logits is not None and 0 <= out.x_hat.min() and out.x_hat.max() <= 1, case.variant
    else:
        assert out.logits is None, case.variant
    if config.quantized:
        assert out.vq.indices.shape == (batch, config.slots), case.variant
        assert 0 <= out.vq.indices.min() and out.vq.indices.max() < config.codebook_size, case.variant


def check_forward_is_decode_of_encode_in_eval_mode(case: ModelCase, tmp_path: Path) -> None:
    """In eval mode forward(x) is decode(encode(x)), bit for bit in one process (the same operations on the same
    numbers: the mean, not a sample, for a VAE; the code itself, not the straight-through sum, for a VQ-VAE)."""
    model = case.model.eval()
    with torch.no_grad():
        z = model.encode(case.x, case.y)
        out = model(case.x, **case.labels)
        assert torch.equal(out.z, z), f"{case.variant}: forward's z is not encode(x)"
        assert torch.equal(out.x_hat, model.decode(z, case.y)), f"{case.variant}: forward is not decode(encode(x))"


def check_the_onnx_export_matches_torch(case: ModelCase, tmp_path: Path) -> None:
    """The ONNX encoder and decoder give torch's outputs in onnxruntime within ONNX_TOLERANCE (a conditional model
    bound to a label, which the graph then carries as a constant); an unbound conditional model is refused; the
    model stays in the mode it was in (eval here)."""
    import onnxruntime as ort

    from aelab.export.onnx import ExportError, decoder_onnx, encoder_onnx

    if case.model.conditional:
        with pytest.raises(ExportError, match="conditional on a class label"):
            decoder_onnx(case.model)
    model = with_label(case.model, int(case.y[0])).eval()
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    with torch.no_grad():
        mu, logvar = model.encode_distribution(case.x)
        x_hat = model.decode(mu)
    encoder = ort.InferenceSession(encoder_onnx(model), options, providers=["CPUExecutionProvider"])
    decoder = ort.InferenceSession(decoder_onnx(model), options, providers=["CPUExecutionProvider"])
    outputs = encoder.run(None, {"x": case.x.numpy()})
    expected = [mu] if logvar is None else [mu, logvar]
    assert len(outputs) == len(expected), case.variant
    for got, want in zip(outputs, expected):
        assert np.abs(got - want.numpy()).max() <= ONNX_TOLERANCE, f"{case.variant}: encoder"
    decoded = decoder.run(["x_hat"], {"z": mu.numpy()})[0]
    assert np.abs(decoded - x_hat.numpy()).max() <= ONNX_TOLERANCE, f"{case.variant}: decoder"
    assert not model.training, f"{case.variant}: exporting put the model in training mode"


def check_save_and_load_keep_the_weights(case: ModelCase, tmp_path: Path) -> None:
    """save_model then load_model: the same configs and variant, the same weights bit for bit (float32 on disk), an
    eval-mode model whose outputs equal the original's."""
    from aelab.library.store import load_model, save_model

    path = save_model(case.model, f"{case.variant}-check", variant=case.variant, train_config=case.train_config,
                      dataset="mnist-5k", root=tmp_path)
    record = load_model(path)
    assert record.variant == case.variant and not record.model.training, case.variant
    assert record.model_config == case.model_config and record.train_config == case.train_config, case.variant
    saved, loaded = case.model.state_dict(), record.model.state_dict()
    assert saved.keys() == loaded.keys(), case.variant
    assert all(torch.equal(saved[k], loaded[k]) for k in saved), f"{case.variant}: weights changed"
    with torch.no_grad():
        before, after = case.model(case.x, **case.labels), record.model(case.x, **case.labels)
    for field in ("x_hat", "z", "mu", "logvar", "logits"):
        first, second = getattr(before, field), getattr(after, field)
        assert (first is None and second is None) or torch.equal(first, second), f"{case.variant}: {field}"


CHECKS: list[Callable[[ModelCase, Path], None]] = [
    check_satisfies_the_protocol,
    check_encode_and_decode_shapes,
    check_forward_is_decode_of_encode_in_eval_mode,
    check_the_onnx_export_matches_torch,
    check_save_and_load_keep_the_weights,
]
