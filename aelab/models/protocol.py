"""What every aelab model is, whatever its variant: one typing.Protocol that the Autoencoder, the baselines (PCA,
k-means) and a conditional model bound to a label (aelab.models.conditional.WithLabel) all satisfy, so the loop, the
analyses, the export and the pages ask a model what it is instead of probing it for attributes.

Shapes: x: (B, 1, H, W) in [0, 1] (or (B, D) points for a vector config); z: (B, latent_dim). y: class labels, an int
or (B,) indices, read by a conditional model only (every model accepts it; the others ignore it).
tests/model_checks.py holds the checks every variant passes (scikit-learn's check_estimator is the pattern).
"""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import torch

from aelab.models.config import ModelConfig
from aelab.models.output import Output


@runtime_checkable
class Model(Protocol):
    """An aelab model: an nn.Module configured by a frozen ModelConfig with encode, decode and forward -> Output."""

    config: ModelConfig
    training: bool

    @property
    def latent_dim(self) -> int:
        """The length of a code z."""

    @property
    def conditional(self) -> bool:
        """Whether encode, decode and forward need a class label y (a conditional VAE not bound to one)."""

    def encode(self, x: torch.Tensor, y: Any = None) -> torch.Tensor:
        """x -> z (B, latent_dim): the posterior mean of a VAE, the quantised code of a VQ-VAE."""

    def encode_distribution(self, x: torch.Tensor, y: Any = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x -> (mu, logvar), each (B, latent_dim); logvar is None for a deterministic model."""

    def decode(self, z: torch.Tensor, y: Any = None) -> torch.Tensor:
        """z (B, latent_dim) -> x_hat (B, 1, H, W)."""

    def forward(self, x: torch.Tensor, sample: bool | None = None, generator: torch.Generator | None = None,
                y: Any = None) -> Output:
        """x -> Output; sample: draw z from q(z|x) (default: in training mode only; deterministic models ignore it).
        In eval mode forward(x).x_hat equals decode(encode(x))."""

    def __call__(self, x: torch.Tensor, *args: Any, **kwargs: Any) -> Output: ...

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]: ...

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True, assign: bool = False) -> Any: ...

    def eval(self) -> Model: ...

    def train(self, mode: bool = True) -> Model: ...
