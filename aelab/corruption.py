"""Corruptions of images, used to train denoising autoencoders and to score restoration methods.

Every function takes x: (B, 1, H, W) in [0, 1] and a torch.Generator (so the same seed gives the same corruption)
and returns (x_corrupt, mask): mask is a bool tensor of x's shape, True where the corruption touched the pixel.
Inpainting methods are given the mask; pixels outside it are left exactly as they were.
"""
from __future__ import annotations

from typing import Callable

import torch

Corruption = Callable[..., tuple[torch.Tensor, torch.Tensor]]


def gaussian_noise(x: torch.Tensor, sigma: float, generator: torch.Generator | None = None):
    """x + N(0, sigma^2) per pixel, clipped to [0, 1]. Every pixel is touched."""
    noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype) * sigma
    return (x + noise).clamp(0, 1), torch.ones_like(x, dtype=torch.bool)


def salt_and_pepper(x: torch.Tensor, fraction: float, generator: torch.Generator | None = None):
    """A fraction of pixels set to 0 or 1 with equal chance."""
    mask = torch.rand(x.shape, generator=generator, device=x.device) < fraction
    salt = torch.rand(x.shape, generator=generator, device=x.device) < 0.5
    return torch.where(mask, salt.to(x.dtype), x), mask


def dropout_mask(x: torch.Tensor, fraction: float, generator: torch.Generator | None = None):
    """A fraction of pixels set to 0, as the masking noise of Vincent et al. (2008) denoising autoencoders."""
    mask = torch.rand(x.shape, generator=generator, device=x.device) < fraction
    return x.masked_fill(mask, 0.0), mask


def box(x: torch.Tensor, size: int, generator: torch.Generator | None = None, top: int | None = None,
        left: int | None = None, value: float = 0.0):
    """A size x size square filled with value (0 black, 0.5 grey); at (top, left), or a random place per image."""
    batch, _, height, width = x.shape
    size = max(1, min(int(size), height, width))
    if top is None:
        tops = torch.randint(0, height - size + 1, (batch,), generator=generator)
    else:
        tops = torch.full((batch,), min(max(int(top), 0), height - size))
    if left is None:
        lefts = torch.randint(0, width - size + 1, (batch,), generator=generator)
    else:
        lefts = torch.full((batch,), min(max(int(left), 0), width - size))
    rows = torch.arange(height).view(1, height, 1)
    cols = torch.arange(width).view(1, 1, width)
    inside = ((rows >= tops.view(-1, 1, 1)) & (rows < (tops + size).view(-1, 1, 1))
              & (cols >= lefts.view(-1, 1, 1)) & (cols < (lefts + size).view(-1, 1, 1)))
    mask = inside.unsqueeze(1).to(x.device)
    return x.masked_fill(mask, value), mask


def missing_rows(x: torch.Tensor, count: int, generator: torch.Generator | None = None, start: int | None = None):
    """A block of count consecutive rows set to 0, starting at start (random per image when None)."""
    height = x.shape[2]
    count = max(1, min(int(count), height))
    if start is None:
        starts = torch.randint(0, height - count + 1, (x.shape[0],), generator=generator)
    else:
        starts = torch.full((x.shape[0],), min(max(int(start), 0), height - count))
    rows = torch.arange(height).view(1, 1, height, 1)
    mask = ((rows >= starts.view(-1, 1, 1, 1)) & (rows < (starts + count).view(-1, 1, 1, 1))).expand(x.shape)
    return x.masked_fill(mask.to(x.device), 0.0), mask.to(x.device).clone()


def user_mask(x: torch.Tensor, mask: torch.Tensor, generator: torch.Generator | None = None, value: float = 0.0):
    """Pixels where mask (H, W) or (B, 1, H, W) is True set to value: a mask drawn by the user on a canvas."""
    mask = mask.to(torch.bool).to(x.device)
    if mask.dim() == 2:
        mask = mask.view(1, 1, *mask.shape)
    if mask.shape[-2:] != x.shape[-2:]:
        raise ValueError(f"The mask is {tuple(mask.shape[-2:])} but the images are {tuple(x.shape[-2:])}.")
    if mask.dim() != 4 or mask.shape[0] not in (1, x.shape[0]) or mask.shape[1] != 1:
        raise ValueError(f"The mask has shape {tuple(mask.shape)}; give one (H, W) mask or one (B, 1, H, W) per "
                         f"image for images of shape {tuple(x.shape)}.")
    mask = mask.expand(x.shape).clone()
    return x.masked_fill(mask, value), mask


CORRUPTIONS: dict[str, Corruption] = {
    "gaussian": gaussian_noise,
    "salt_and_pepper": salt_and_pepper,
    "dropout": dropout_mask,
    "box": box,
    "rows": missing_rows,
    "user_mask": user_mask,
}
