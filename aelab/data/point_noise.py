"""Corruption of points (x: (B, D), standardised coordinates) for a denoising autoencoder on toy data.

Apart from the image corruptions (aelab.data.corruption), which clip to the pixel range [0, 1] and know about rows
and boxes: a point only has coordinates, so the one corruption is isotropic Gaussian noise, x + N(0, sigma^2 I).
"""
from __future__ import annotations

import torch

from aelab.errors import ConfigError

POINT_NOISES = ("none", "gaussian")
MAX_LEVEL = 10.0


def corrupt_points(x: torch.Tensor, kind: str, level: float, generator: torch.Generator | None = None):
    """x: (B, D) -> x + level * eps with eps ~ N(0, I) for kind "gaussian"; x itself for "none"."""
    if kind not in POINT_NOISES:
        raise ConfigError(f"Points can only take Gaussian noise: unknown point noise {kind!r}; "
                          f"valid: {', '.join(POINT_NOISES)}.")
    if kind == "none":
        return x
    if not 0 <= level <= MAX_LEVEL:
        raise ConfigError(f"The noise sigma for points must be between 0 and {MAX_LEVEL:g}, got {level}.")
    return x + level * torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
