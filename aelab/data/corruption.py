"""Corruptions of images, used to train denoising autoencoders and to score restoration methods.

Every function takes x: (B, 1, H, W) in [0, 1], one strength (sigma, fraction, size or count; a mask for user_mask)
and a torch.Generator (so the same seed gives the same corruption), and returns (x_corrupt, mask): mask is a bool
tensor of x's shape, True where the corruption touched the pixel. Inpainting methods are given the mask; pixels
outside it are left exactly as they were.

CORRUPTIONS maps a name to its function and CORRUPTION_INFO to what a page or a training config needs to know about
it (its strength's name, range and default, whether it damages a region that inpainting can fill, whether training
may use it). Callers go through `apply_corruption(name, ...)` rather than branching on names.
"""
from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from aelab.data.corruption_kinds import (
    CORRUPTION_INFO,
    TRAINABLE_CORRUPTIONS,
    CorruptionInfo,
    Strength,
    check_factor,
    corruption_info,
    strength_range,
)

__all__ = ["CORRUPTIONS", "CORRUPTION_INFO", "MIXED_PARTS", "TRAINABLE_CORRUPTIONS", "CorruptionInfo", "Strength",
           "apply_corruption", "box", "check_factor", "corruption_info", "dropout_mask", "gaussian_noise", "lowres",
           "mask_from_drawing", "missing_rows", "mixed", "salt_and_pepper", "strength_range", "user_mask",
           "watermark", "watermark_stamp"]

Corruption = Callable[..., tuple[torch.Tensor, torch.Tensor]]


def _check_fraction(fraction: float) -> float:
    fraction = float(fraction)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"The fraction of pixels must be between 0 and 1, got {fraction}.")
    return fraction


def _random_device(generator: torch.Generator | None) -> torch.device:
    # Random positions are drawn where the generator lives (a CUDA generator cannot fill a CPU tensor), then moved.
    return generator.device if generator is not None else torch.device("cpu")


def gaussian_noise(x: torch.Tensor, sigma: float, generator: torch.Generator | None = None):
    """x + N(0, sigma^2) per pixel, clipped to [0, 1]. Every pixel is touched."""
    if not sigma >= 0:
        raise ValueError(f"The noise sigma must be 0 or more, got {sigma}.")
    noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype) * sigma
    return (x + noise).clamp(0, 1), torch.ones_like(x, dtype=torch.bool)


def salt_and_pepper(x: torch.Tensor, fraction: float, generator: torch.Generator | None = None):
    """A fraction of pixels set to 0 or 1 with equal chance."""
    fraction = _check_fraction(fraction)
    mask = torch.rand(x.shape, generator=generator, device=x.device) < fraction
    salt = torch.rand(x.shape, generator=generator, device=x.device) < 0.5
    return torch.where(mask, salt.to(x.dtype), x), mask


def dropout_mask(x: torch.Tensor, fraction: float, generator: torch.Generator | None = None):
    """A fraction of pixels set to 0, as the masking noise of Vincent et al. (2008) denoising autoencoders."""
    fraction = _check_fraction(fraction)
    mask = torch.rand(x.shape, generator=generator, device=x.device) < fraction
    return x.masked_fill(mask, 0.0), mask


def _starts(count: int, span: int, fixed: int | None, generator: torch.Generator | None, device) -> torch.Tensor:
    """(count,) first rows (or columns) of a block of length span: fixed (moved inside the image) or random."""
    if fixed is None:
        return torch.randint(0, span + 1, (count,), generator=generator, device=_random_device(generator)).to(device)
    return torch.full((count,), min(max(int(fixed), 0), span), device=device)


def box(x: torch.Tensor, size: int, generator: torch.Generator | None = None, top: int | None = None,
        left: int | None = None, value: float = 0.0):
    """A size x size square filled with value (0 black, 0.5 grey); at (top, left), or a random place per image.
    A box that would stick out of the image is moved inside, never cut."""
    batch, _, height, width = x.shape
    size = max(1, min(int(size), height, width))
    tops = _starts(batch, height - size, top, generator, x.device)
    lefts = _starts(batch, width - size, left, generator, x.device)
    rows = torch.arange(height, device=x.device).view(1, height, 1)
    cols = torch.arange(width, device=x.device).view(1, 1, width)
    inside = ((rows >= tops.view(-1, 1, 1)) & (rows < (tops + size).view(-1, 1, 1))
              & (cols >= lefts.view(-1, 1, 1)) & (cols < (lefts + size).view(-1, 1, 1)))
    mask = inside.unsqueeze(1)
    return x.masked_fill(mask, value), mask


def missing_rows(x: torch.Tensor, count: int, generator: torch.Generator | None = None, start: int | None = None):
    """A block of count consecutive rows set to 0, starting at start (random per image when None)."""
    height = x.shape[2]
    count = max(1, min(int(count), height))
    starts = _starts(x.shape[0], height - count, start, generator, x.device)
    rows = torch.arange(height, device=x.device).view(1, 1, height, 1)
    mask = ((rows >= starts.view(-1, 1, 1, 1)) & (rows < (starts + count).view(-1, 1, 1, 1))).expand(x.shape)
    return x.masked_fill(mask, 0.0), mask.clone()


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


MIXED_PARTS = ("gaussian", "salt_and_pepper", "dropout", "box", "rows")


def mixed(x: torch.Tensor, scale: float, generator: torch.Generator | None = None):
    """Each image gets one of MIXED_PARTS, drawn at random, at that corruption's default strength times scale (sizes
    in pixels scaled to the image; every value capped at the top of that corruption's slider, so a scale of 2 does
    not drop all the pixels): a denoiser trained on it has seen every kind of damage."""
    if not scale > 0:
        raise ValueError(f"The strength scale must be above 0, got {scale}.")
    picks = torch.randint(0, len(MIXED_PARTS), (x.shape[0],), generator=generator,
                          device=_random_device(generator)).to(x.device)
    out, mask = x.clone(), torch.zeros_like(x, dtype=torch.bool)
    for k, name in enumerate(MIXED_PARTS):
        chosen = picks == k
        if bool(chosen.any()):
            out[chosen], mask[chosen] = CORRUPTIONS[name](x[chosen], _scaled_default(name, x.shape[-2:], scale),
                                                          generator)
    return out, mask


def _scaled_default(name: str, image_size, scale: float) -> float:
    strength = strength_range(name, tuple(image_size))
    value = strength.default * scale
    if strength.in_pixels:
        return int(min(strength.high, max(1, round(value))))
    return min(value, strength.high)


def lowres(x: torch.Tensor, factor: float, generator: torch.Generator | None = None):
    """Super-resolution's input: x area-averaged down by factor (28x28 -> 14x14 at 2, 7x7 at 4), then bicubic
    back up to its size (clipped to [0, 1]), so a model sees an image of the right size with the detail gone. Every
    pixel is touched; nothing is random (the generator is accepted for the common signature)."""
    factor = check_factor(factor, tuple(x.shape[-2:]))
    small = F.interpolate(x, scale_factor=1 / factor, mode="area")
    up = F.interpolate(small, size=tuple(x.shape[-2:]), mode="bicubic", align_corners=False).clamp(0, 1)
    return up, torch.ones_like(x, dtype=torch.bool)


WATERMARK_TEXT = "AE"


def watermark_stamp(image_size: tuple[int, int]) -> torch.Tensor:
    """The stamp's coverage in [0, 1], (h, w): the text WATERMARK_TEXT drawn by OpenCV at 8x the size and
    area-averaged down (anti-aliased), 10 x 16 pixels on a 28x28 image, scaled with the image side."""
    side = min(image_size)
    height, width = max(2, round(side * 10 / 28)), max(3, round(side * 16 / 28))
    canvas = np.zeros((height * 8, width * 8), np.uint8)
    font, scale, thickness = cv2.FONT_HERSHEY_SIMPLEX, 1.0, 2
    (text_w, text_h), _ = cv2.getTextSize(WATERMARK_TEXT, font, scale, thickness)
    scale *= min(canvas.shape[1] * 0.95 / text_w, canvas.shape[0] * 0.9 / text_h)
    thickness = max(1, round(scale * 3))
    (text_w, text_h), _ = cv2.getTextSize(WATERMARK_TEXT, font, scale, thickness)
    origin = ((canvas.shape[1] - text_w) // 2, (canvas.shape[0] + text_h) // 2)
    cv2.putText(canvas, WATERMARK_TEXT, origin, font, scale, 255, thickness, cv2.LINE_AA)
    small = cv2.resize(canvas, (width, height), interpolation=cv2.INTER_AREA)
    return torch.from_numpy(small.astype(np.float32) / 255.0)


def watermark(x: torch.Tensor, opacity: float, generator: torch.Generator | None = None):
    """A white text stamp (WATERMARK_TEXT) blended in at opacity at a random place per image:
    x + opacity * coverage * (1 - x). The mask (every pixel the stamp covers at all) is returned for scoring and
    for inpainting baselines; a model trained on it never sees it."""
    opacity = float(opacity)
    if not 0.0 < opacity <= 1.0:
        raise ValueError(f"The stamp's opacity must be above 0 and at most 1, got {opacity}.")
    batch, _, height, width = x.shape
    stamp = watermark_stamp((height, width)).to(x.device, x.dtype)
    tops = _starts(batch, height - stamp.shape[0], None, generator, x.device)
    lefts = _starts(batch, width - stamp.shape[1], None, generator, x.device)
    coverage = torch.zeros(batch, 1, height, width, dtype=x.dtype, device=x.device)
    for i in range(batch):  # a few thousand small copies per epoch: cheap next to the model's step
        top, left = int(tops[i]), int(lefts[i])
        coverage[i, 0, top:top + stamp.shape[0], left:left + stamp.shape[1]] = stamp
    alpha = opacity * coverage
    return x + alpha * (1 - x), coverage > 0


CORRUPTIONS: dict[str, Corruption] = {
    "gaussian": gaussian_noise,
    "salt_and_pepper": salt_and_pepper,
    "dropout": dropout_mask,
    "box": box,
    "rows": missing_rows,
    "mixed": mixed,
    "lowres": lowres,
    "watermark": watermark,
    "user_mask": user_mask,
}


def apply_corruption(name: str, x: torch.Tensor, strength, generator: torch.Generator | None = None, **options):
    """CORRUPTIONS[name](x, strength, generator, **options) -> (x_corrupt, mask). A strength in pixels is rounded
    to a whole number, so a float from a config or a slider works. options: box's top, left, value; rows' start."""
    info = corruption_info(name)
    if info.strength is not None and info.strength.in_pixels:
        strength = int(round(float(strength)))
    return CORRUPTIONS[name](x, strength, generator, **options)


def mask_from_drawing(rgba, image_size: tuple[int, int], threshold: float = 0.5) -> torch.Tensor:
    """A canvas drawing (H', W', 4) uint8 RGBA, anything drawn being non-transparent, -> (H, W) bool mask at the
    image's size: a pixel is masked when at least threshold of its cell of canvas pixels is drawn over (area
    averaging, so any canvas size maps onto any image size)."""
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"A drawing must be an RGBA image (H, W, 4), got shape {rgba.shape}.")
    drawn = torch.from_numpy((rgba[:, :, 3] > 0).astype(np.float32)).view(1, 1, *rgba.shape[:2])
    coverage = torch.nn.functional.interpolate(drawn, size=tuple(image_size), mode="area")[0, 0]
    return coverage >= threshold
