"""Tensors to pictures: uint8 grids, PNG bytes and animated GIF bytes (Pillow; no torchvision), and the label palette
every picture of labelled points uses (the app's charts, a lesson file's plane). Tensors and numpy arrays alike,
without importing torch (Home lays out its shipped pictures with these)."""
from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    import torch

# Paul Tol's "muted" scheme: ten colours distinguishable with the common colour-vision deficiencies.
PALETTE = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499",
           "#6e6e6e"]
UNLABELLED_COLOUR = "#BBBBBB"


def to_uint8(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """x: (..., H, W) values in [0, 1] (clipped) -> uint8 array of the same shape."""
    array = x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)  # a tensor, or anything numpy reads
    return (np.clip(array, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


def grid(x: torch.Tensor | np.ndarray, ncol: int | None = None, padding: int = 2, pad_value: float = 1.0,
         scale: int = 1) -> np.ndarray:
    """x: (N, 1, H, W) or (N, H, W) in [0, 1] -> one uint8 (rows*(H+p)+p, cols*(W+p)+p) image, row-major order.

    scale repeats pixels (nearest neighbour) so small digits stay crisp when a browser enlarges them."""
    images = to_uint8(x)
    if images.ndim == 4:
        images = images[:, 0]
    n, height, width = images.shape if images.size else (0, 1, 1)
    ncol = max(1, min(ncol or int(np.ceil(np.sqrt(max(n, 1)))), max(n, 1)))
    nrow = max(1, int(np.ceil(n / ncol)))
    fill = int(round(pad_value * 255))
    canvas = np.full((nrow * (height + padding) + padding, ncol * (width + padding) + padding), fill, np.uint8)
    for i in range(n):
        top = padding + (i // ncol) * (height + padding)
        left = padding + (i % ncol) * (width + padding)
        canvas[top:top + height, left:left + width] = images[i]
    return enlarge(canvas, scale)


def png_bytes(image: np.ndarray) -> bytes:
    """uint8 (H, W) or (H, W, 3) -> PNG file contents."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def gif_bytes(frames: Sequence[np.ndarray], duration_ms: int = 120, loop: int = 0, bounce: bool = True) -> bytes:
    """uint8 frames (H, W) -> animated GIF contents. bounce plays forward then back, which reads better for a
    traversal or an interpolation than a jump from the last frame to the first."""
    if len(frames) == 0:
        raise ValueError("A GIF needs at least one frame.")
    sequence = list(frames) + (list(frames[-2:0:-1]) if bounce and len(frames) > 2 else [])
    pictures = [Image.fromarray(f).convert("P") for f in sequence]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:], duration=duration_ms,
                     loop=loop, disposal=2)
    return buffer.getvalue()


def enlarge(image: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour upscaling of a uint8 image."""
    return image.repeat(scale, axis=0).repeat(scale, axis=1) if scale > 1 else image
