"""A drawing (a canvas's RGBA pixels) turned into a model input made the way MNIST's digits were made.

LeCun et al. (MNIST, 1998): each digit was size-normalised to fit a 20x20 box keeping its aspect ratio (with
anti-aliasing, so it has grey levels), then placed in a 28x28 field so that its centre of mass is at the field's
centre. A drawing that skips these steps (a small digit in a corner, a digit filling the whole canvas) lands far
from every training image, and the model's code for it says more about the framing than about the digit.

The public function is :func:`preprocess_drawing`. Other image sizes (sklearn's 8x8 digits, a user's data) get the
same steps with a box and centre measured from the data itself (:func:`layout_like`) or scaled from MNIST's.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from aelab.errors import AelabError

# MNIST in numbers (measured on mnist-5k's test split): the longer side of a digit's ink box is 20 pixels
# (median and maximum), and the centre of mass sits at (14.0, 14.0) +- 0.3 in (row, column) pixel indices.
MNIST_SIZE, MNIST_BOX = 28, 20
INK_THRESHOLD = 0.05  # of the drawing's strongest ink: fainter pixels (anti-aliased fringes, noise) are background


class EmptyDrawingError(AelabError, ValueError):
    """The drawing holds no ink: there is nothing to encode."""


@dataclass(frozen=True)
class DigitLayout:
    """Where a digit goes in the model's image: its ink box's longer side (pixels) and its centre of mass
    (row, column) in pixel indices."""

    image_size: tuple[int, int]
    box: int
    centre: tuple[float, float]


def mnist_layout(image_size: tuple[int, int] = (MNIST_SIZE, MNIST_SIZE)) -> DigitLayout:
    """MNIST's layout (20-pixel box, centre of mass at (14, 14) in 28x28) scaled to image_size (H, W)."""
    height, width = int(image_size[0]), int(image_size[1])
    box = max(1, round(min(height, width) * MNIST_BOX / MNIST_SIZE))
    return DigitLayout((height, width), box, (height / 2, width / 2))


def layout_like(x: torch.Tensor | np.ndarray) -> DigitLayout:
    """The layout of a dataset's own images x: (N, 1, H, W) in [0, 1]: the median longer side of their ink boxes and
    their mean centre of mass. sklearn's 8x8 digits fill 8 rows centred at (3.5, 3.6); MNIST gives 20 and (14, 14)."""
    images = np.asarray(x, dtype=np.float32).reshape(-1, *np.asarray(x).shape[-2:])
    if images.shape[0] == 0:
        raise ValueError("layout_like needs at least one image.")
    ink = images > INK_THRESHOLD * images.max(axis=(1, 2), keepdims=True).clip(min=1e-6)
    rows, cols = ink.any(axis=2), ink.any(axis=1)
    has_ink = rows.any(axis=1)
    if not has_ink.any():
        return mnist_layout(images.shape[1:])
    rows, cols, images = rows[has_ink], cols[has_ink], images[has_ink]
    heights = rows.shape[1] - rows[:, ::-1].argmax(1) - rows.argmax(1)
    widths = cols.shape[1] - cols[:, ::-1].argmax(1) - cols.argmax(1)
    centres = np.array([centre_of_mass(image) for image in images])
    return DigitLayout(tuple(images.shape[1:]), int(np.median(np.maximum(heights, widths))),
                       (float(centres[:, 0].mean()), float(centres[:, 1].mean())))


def ink_from_rgba(rgba: np.ndarray) -> np.ndarray:
    """How much ink each pixel holds, (H, W) float32 in [0, 1], whatever the colours.

    rgba: (H, W, 4) uint8 from a canvas, or (H, W, 3) / (H, W). A canvas with a transparent background returns its
    strokes as the opaque pixels, so ink is the alpha. An opaque canvas (white on black, black on white) has its
    background colour along the border, so ink is each pixel's distance in brightness from the border's median."""
    array = np.asarray(rgba)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)) or min(array.shape[:2]) < 1:
        raise ValueError(f"Expected an (H, W, 4) RGBA, (H, W, 3) RGB or (H, W) grey image, got shape {array.shape}.")
    scale = 255.0 if array.dtype == np.uint8 or array.max(initial=0) > 1.0 else 1.0
    pixels = array.astype(np.float32) / scale
    if pixels.ndim == 3 and pixels.shape[2] == 4 and pixels[..., 3].min() < 1.0:
        return pixels[..., 3].copy()
    grey = pixels if pixels.ndim == 2 else pixels[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return np.abs(grey - np.median(border)).astype(np.float32)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of an (H, W) non-negative image's centre of mass, in pixel indices."""
    total = float(image.sum())
    if total <= 0:
        return (image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2
    rows, cols = np.indices(image.shape, dtype=np.float64)
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def fit_box(ink: np.ndarray, box: int) -> np.ndarray:
    """Crop ink (H, W) to its bounding box and resize it, keeping its aspect ratio, so its longer side is box pixels.
    Shrinking averages areas (cv2.INTER_AREA, the anti-aliasing MNIST had); enlarging a tiny drawing interpolates."""
    mask = ink > INK_THRESHOLD * ink.max()
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    factor = box / max(crop.shape)
    height, width = (max(1, min(box, round(side * factor))) for side in crop.shape)
    shrinking = factor < 1
    return cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC).clip(0)


def place_by_centre_of_mass(digit: np.ndarray, layout: DigitLayout) -> np.ndarray:
    """Paste digit (h, w) into a layout.image_size field, moved by whole pixels (as MNIST did) so that its centre of
    mass lands on layout.centre, within half a pixel. Ink pushed past an edge is cut, as it was for MNIST."""
    height, width = layout.image_size
    field = np.zeros((height, width), np.float32)
    com_row, com_col = centre_of_mass(digit)
    top, left = round(layout.centre[0] - com_row), round(layout.centre[1] - com_col)
    src_top, src_left = max(0, -top), max(0, -left)
    dst_top, dst_left = max(0, top), max(0, left)
    rows = min(digit.shape[0] - src_top, height - dst_top)
    cols = min(digit.shape[1] - src_left, width - dst_left)
    if rows > 0 and cols > 0:
        field[dst_top:dst_top + rows, dst_left:dst_left + cols] = digit[src_top:src_top + rows,
                                                                        src_left:src_left + cols]
    return field


def preprocess_drawing(rgba: np.ndarray, image_size: tuple[int, int] = (MNIST_SIZE, MNIST_SIZE),
                       layout: DigitLayout | None = None) -> torch.Tensor:
    """A canvas drawing -> the model input (1, 1, H, W) float32 in [0, 1], made as MNIST was: grey ink, cropped to
    its bounding box, scaled to fit layout.box keeping the aspect ratio, centred by centre of mass, strongest ink 1.

    rgba: (h, w, 4) uint8 (any canvas size or shape; see ink_from_rgba for the colours understood).
    layout: from layout_like(dataset images) to match a dataset; default MNIST's, scaled to image_size.
    Raises EmptyDrawingError when there is no ink."""
    layout = layout or mnist_layout(image_size)
    ink = ink_from_rgba(rgba)
    if ink.max(initial=0.0) < 0.02:  # a few stray anti-aliased pixels are not a drawing
        raise EmptyDrawingError("Draw something first: the canvas is empty.")
    digit = fit_box(ink, min(layout.box, *layout.image_size))
    field = place_by_centre_of_mass(digit, layout)
    field /= max(float(field.max()), 1e-6)  # MNIST digits reach full white; a thin or faint stroke should too
    return torch.from_numpy(field).reshape(1, 1, *layout.image_size)
