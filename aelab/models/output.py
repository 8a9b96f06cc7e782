"""What every model's forward returns: the reconstruction, the code and, for a VAE, the posterior."""
from __future__ import annotations

from typing import Any, NamedTuple

import torch


class Output(NamedTuple):
    """x_hat: (B, 1, H, W) reconstruction; z: (B, latent_dim) the code used for decoding (sampled for a VAE in
    training mode, the mean in eval mode); mu, logvar: (B, latent_dim) for variational models, else None;
    logits: pre-sigmoid x_hat (None for an identity output), kept so BCE can be computed stably (for a continuous
    Bernoulli output, the logits of its parameter lambda)."""

    x_hat: torch.Tensor
    z: torch.Tensor
    mu: torch.Tensor | None
    logvar: torch.Tensor | None
    logits: torch.Tensor | None
    vq: Any = None  # a VQ-VAE's aelab.models.quantizer.Quantized (encoder outputs, codes, indices, usage)
