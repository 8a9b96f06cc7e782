"""What a user's images must be for every page to show them, checked in one place: how many, how large and how small,
in which layouts. check_image_shape is the one check of an image array's shape; the readers (aelab.data.userdata)
call it on the shape a file's header declares, before the data is read, and aelab.data.dataset calls it again on the
arrays it is given, so data built in code meets the same rules as data brought in a file."""
from __future__ import annotations

import math

import numpy as np

from aelab.errors import DataError

MAX_IMAGES = 200_000  # most images (train + test) a user's dataset may hold
MAX_SIDE = 64  # largest height or width, in pixels, of a user's image
# Smallest height or width: the bundled digits' 8x8. Below it pages fail in their own ways (a 1-pixel side leaves a
# corruption's box-size slider with no range; the Train page's model configs need sides of at least 2; the lessons'
# conv nets halve a side twice), so such data is refused where it enters, not on the page that cannot show it.
MIN_SIDE = 8
MAX_CLASSES = 1000  # most distinct labels; class names are the labels' values, so those are otherwise free
LAYOUTS = "(N, H, W), (N, H*W) with H*W a square, (N, 1, H, W) or (N, H, W, 1)"


def check_image_dtype(dtype, what: str) -> None:
    """Images are numbers: uint8 (or other integers) 0-255, or floats in [0, 1]; not booleans, text or objects."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_ or not np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.complexfloating):
        raise DataError(f"{what} have dtype {dtype}; expected uint8 values 0-255 or floats in [0, 1].")


def image_layout(shape: tuple[int, ...], what: str) -> tuple[int, int, int]:
    """(N, H, W) of an image array of this shape in one of the accepted LAYOUTS; DataError naming what otherwise."""
    shape = tuple(int(side) for side in shape)
    if not shape:
        raise DataError(f"{what} are a single value (shape ()); expected images.")
    if len(shape) == 3:
        return shape
    if len(shape) == 2 and shape[1] > 0 and math.isqrt(shape[1]) ** 2 == shape[1]:
        side = math.isqrt(shape[1])
        return shape[0], side, side
    if len(shape) == 4 and shape[1] == 1:
        return shape[0], shape[2], shape[3]
    if len(shape) == 4 and shape[3] == 1:
        return shape[0], shape[1], shape[2]
    raise DataError(f"{what} have shape {shape}; expected {LAYOUTS}.")


def check_image_shape(shape: tuple[int, ...], what: str) -> tuple[int, int, int]:
    """(N, H, W) of images of this (declared) shape if the pages can show them: at least one image, at most
    MAX_IMAGES, each side from MIN_SIDE to MAX_SIDE pixels. Otherwise one DataError naming what and the rule."""
    n, height, width = image_layout(shape, what)
    if n == 0 or height == 0 or width == 0:
        raise DataError(f"{what} are empty (shape {tuple(shape)}).")
    if n > MAX_IMAGES:
        raise DataError(f"{what} number {n:,}, more than the {MAX_IMAGES:,} allowed (declared shape {tuple(shape)}).")
    if max(height, width) > MAX_SIDE:
        raise DataError(f"{what} are {height}x{width} pixels, larger than the {MAX_SIDE}-pixel side allowed.")
    if min(height, width) < MIN_SIDE:
        raise DataError(f"{what} are {height}x{width} pixels, smaller than the {MIN_SIDE}-pixel side the pages need "
                        f"(the bundled digits are {MIN_SIDE}x{MIN_SIDE}).")
    return n, height, width


def check_label_shape(shape: tuple[int, ...], what: str) -> int:
    """The number of labels of a (declared) label array: one dimension, at most MAX_IMAGES."""
    if len(shape) != 1 or shape[0] > MAX_IMAGES:
        raise DataError(f"{what} declares labels of shape {tuple(shape)}; expected one label per image, at most "
                        f"{MAX_IMAGES:,}.")
    return int(shape[0])
