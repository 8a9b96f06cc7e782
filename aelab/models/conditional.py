"""A conditional model seen through one class label: the ordinary encode / decode / forward interface, so every
page, analysis and the ONNX export use a conditional VAE as they use any model, with the label chosen once.

with_label(model, k) is an nn.Module holding the model and the label k as a buffer: its state (and so its weights
digest, the key of every cached result) changes with k, and its exported decoder carries k as a constant. Also here:
the checks that refuse a training before it starts (a codebook larger than the training set, a conditional model
on data without labels).
"""
from __future__ import annotations

import torch
from torch import nn

from aelab.errors import ConfigError
from aelab.models.config import ModelConfig
from aelab.models.output import Output
from aelab.models.protocol import Model


class WithLabel(nn.Module):
    """model (conditional) with every image taken as class `label`: encode(x), decode(z), forward(x) need no y."""

    def __init__(self, model: nn.Module, label: int):
        super().__init__()
        n_classes = model.config.n_classes
        if not 0 <= int(label) < n_classes:
            raise ConfigError(f"The label must be from 0 to {n_classes - 1}, got {label!r}.")
        self.model = model
        self.register_buffer("label", torch.tensor(int(label)))

    @property
    def config(self):
        return self.model.config

    @property
    def latent_dim(self) -> int:
        return self.model.latent_dim

    @property
    def conditional(self) -> bool:
        return False  # the label is bound: callers (the training loop included) need not give one

    # y is accepted for the protocol (aelab.models.protocol.Model) and ignored: the bound label is the label
    def encode_distribution(self, x: torch.Tensor, y=None):
        return self.model.encode_distribution(x, self.label)

    def encode(self, x: torch.Tensor, y=None) -> torch.Tensor:
        return self.model.encode(x, self.label)

    def decode_logits(self, z: torch.Tensor, y=None) -> torch.Tensor:
        return self.model.decode_logits(z, self.label)

    def decode(self, z: torch.Tensor, y=None) -> torch.Tensor:
        return self.model.decode(z, self.label)

    def forward(self, x: torch.Tensor, sample: bool | None = None, generator: torch.Generator | None = None,
                y=None) -> Output:
        return self.model(x, sample, generator, y=self.label)


def with_label(model: Model, label: int) -> Model:
    """model bound to class label if it is conditional; any other model as it is."""
    if model.conditional:
        return WithLabel(model, label).eval()
    return model


def check_training_data(model_config: ModelConfig, n_train: int, y_train: torch.Tensor | None) -> None:
    """Refuse, with one message, a training that cannot work with this data, before anything is started: a
    codebook with more codes than training images (most could never be used), a conditional model on images
    without labels (or with more classes than it has outputs for)."""
    if model_config.quantized and model_config.codebook_size > n_train:
        raise ConfigError(f"The codebook has {model_config.codebook_size} codes but there are only {n_train} "
                          "training images: choose a codebook size at most the number of training images.")
    if not model_config.conditional:
        return
    if y_train is None or len(y_train) == 0 or bool((y_train < 0).any()):
        missing = "none" if y_train is None or len(y_train) == 0 else f"{int((y_train < 0).sum())} without one"
        raise ConfigError(f"A conditional model needs a class label for every training image; this data has "
                          f"{missing}. Choose a labelled dataset, or an unconditional variant.")
    top = int(y_train.max())
    if top >= model_config.n_classes:
        raise ConfigError(f"The data has labels up to {top} but the model has {model_config.n_classes} classes.")


def unbound(model: nn.Module) -> nn.Module:
    """The conditional model itself, whatever label a WithLabel bound it to."""
    return model.model if isinstance(model, WithLabel) else model
