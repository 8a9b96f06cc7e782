"""The bundled ``shapes`` source: 28x28 images rendered in numpy from five known factors, dSprites-style.

Factors, each on a fixed grid (at most 20 values, so MIG's 20-bin estimate can reach 1):
  shape     4   square, triangle, ellipse, heart (a circle would hide its rotation, so there is none)
  scale     6   circumradius 4.0, 4.6, ..., 7.0 pixels
  rotation 10   k/10 of the shape's symmetry period (90, 120, 180 and 360 degrees): every step is a different image
  x, y     14   the centre at whole pixels 7 .. 20 (y counted downwards), so a shape never leaves the frame
The full grid has 4 x 6 x 10 x 14 x 14 = 47,040 combinations; the dataset is a seeded sample of N_IMAGES = 20,000
of them without repeats (SAMPLE_SEED), split 80/20 by aelab.data.sources.split_indices (stratified by shape, its
fixed SPLIT_SEED): 16,000 train and 4,000 test images. Labels (for colouring) are the shape.

Rendering: each (shape, scale, rotation) is drawn once as a 14x14 patch with 8x8 sub-pixel samples per pixel
(anti-aliased coverage, quantised to 0-255 like MNIST), then pasted at its whole-pixel position, so a translation is
exact and the whole set takes well under a second: nothing is cached on disk.
"""
from __future__ import annotations

import numpy as np

SHAPES = ("square", "triangle", "ellipse", "heart")
SYMMETRY_DEGREES = (90.0, 120.0, 180.0, 360.0)  # rotating by this maps the shape onto itself
SCALES = tuple(float(s) for s in np.linspace(4.0, 7.0, 6))  # circumradius in pixels
N_ROTATIONS = 10
POSITIONS = tuple(range(7, 21))  # the centre, in pixels from the top-left corner (whole pixels: exact shifts)
SIDE = 28
PATCH = 14  # a patch spans centre - 7 .. centre + 7: the largest shape fits at every rotation
SUPERSAMPLE = 8
N_IMAGES = 20_000
SAMPLE_SEED = 20_250_101  # fixed: changing it changes which combinations are in the dataset
VERSION = "1"  # part of the cache identity of the shapes source: bump it when the rendering or the sample changes

FACTOR_NAMES = ("shape", "scale", "rotation", "x", "y")
FACTOR_SIZES = (len(SHAPES), len(SCALES), N_ROTATIONS, len(POSITIONS), len(POSITIONS))
FACTOR_DESCRIPTIONS = (
    "which shape: " + ", ".join(SHAPES),
    "size: circumradius " + ", ".join(f"{s:g}" for s in SCALES) + " pixels",
    f"angle: k/{N_ROTATIONS} of the shape's symmetry period (" + ", ".join(
        f"{name} {period:g}°" for name, period in zip(SHAPES, SYMMETRY_DEGREES)) + ")",
    f"horizontal position of the centre: pixels {POSITIONS[0]}..{POSITIONS[-1]}",
    f"vertical position of the centre: pixels {POSITIONS[0]}..{POSITIONS[-1]} (downwards)",
)


def _inside(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Whether points (u, v) (y upwards, in units of the circumradius) are inside the unrotated shape, which fits in
    the unit circle."""
    if shape == "square":
        half = 1 / np.sqrt(2)
        return (np.abs(u) <= half) & (np.abs(v) <= half)
    if shape == "triangle":  # equilateral, a vertex up: three half-planes at the inradius 0.5
        normals = np.deg2rad([270.0, 30.0, 150.0])
        return np.all([u * np.cos(a) + v * np.sin(a) <= 0.5 for a in normals], axis=0)
    if shape == "ellipse":
        return u ** 2 + (v / 0.5) ** 2 <= 1
    if shape == "heart":  # (x^2 + y^2 - 1)^3 <= x^2 y^3, moved and shrunk to fit in the unit circle (radius 1.28)
        x, y = 1.3 * u, 1.3 * v + 0.2
        return (x ** 2 + y ** 2 - 1) ** 3 - x ** 2 * y ** 3 <= 0
    raise ValueError(f"unknown shape {shape!r}")


def render_patch(shape: int, scale: int, rotation: int) -> np.ndarray:
    """One shape centred in a (PATCH, PATCH) float patch of anti-aliased coverage in [0, 1]; arguments are grid
    indices (see FACTOR_SIZES)."""
    offsets = (np.arange(PATCH * SUPERSAMPLE) + 0.5) / SUPERSAMPLE - PATCH / 2  # sub-pixel sample centres
    cols, rows = np.meshgrid(offsets, offsets)
    angle = np.deg2rad(SYMMETRY_DEGREES[shape] * rotation / N_ROTATIONS)
    # Rotate the sample points by -angle instead of the shape by +angle (counter-clockwise on screen).
    x, y = cols / SCALES[scale], -rows / SCALES[scale]
    u, v = np.cos(angle) * x + np.sin(angle) * y, -np.sin(angle) * x + np.cos(angle) * y
    hits = _inside(SHAPES[shape], u, v).astype(np.float32)
    return hits.reshape(PATCH, SUPERSAMPLE, PATCH, SUPERSAMPLE).mean(axis=(1, 3))


def _patches() -> np.ndarray:
    """Every (shape, scale, rotation) patch as uint8: (4, 6, 10, PATCH, PATCH)."""
    patches = np.zeros((*FACTOR_SIZES[:3], PATCH, PATCH), dtype=np.uint8)
    for index in np.ndindex(*FACTOR_SIZES[:3]):
        patches[index] = np.round(render_patch(*index) * 255).astype(np.uint8)
    return patches


def render(factors: np.ndarray) -> np.ndarray:
    """Images for rows of grid indices (N, 5) in FACTOR_NAMES order -> (N, 28, 28) uint8 (0 background, 255 ink)."""
    factors = np.asarray(factors, dtype=np.int64)
    if factors.ndim != 2 or factors.shape[1] != len(FACTOR_SIZES):
        raise ValueError(f"factors must be (N, {len(FACTOR_SIZES)}), got {factors.shape}")
    if len(factors) and ((factors < 0).any() or (factors >= np.asarray(FACTOR_SIZES)).any()):
        raise ValueError(f"a factor index is outside its grid {FACTOR_SIZES}")
    patches = _patches()[factors[:, 0], factors[:, 1], factors[:, 2]]
    images = np.zeros((len(factors), SIDE, SIDE), dtype=np.uint8)
    top = np.asarray(POSITIONS)[factors[:, 4]] - PATCH // 2
    left = np.asarray(POSITIONS)[factors[:, 3]] - PATCH // 2
    span = np.arange(PATCH)
    rows = (top[:, None] + span)[:, :, None]
    cols = (left[:, None] + span)[:, None, :]
    images[np.arange(len(factors))[:, None, None], rows, cols] = patches
    return images


def all_factors() -> np.ndarray:
    """Every combination of the grid, (47040, 5) int64, in C order (the last factor, y, varies fastest)."""
    return np.stack(np.unravel_index(np.arange(np.prod(FACTOR_SIZES)), FACTOR_SIZES), axis=1).astype(np.int64)


def sample_factors(n: int = N_IMAGES, seed: int = SAMPLE_SEED) -> np.ndarray:
    """n distinct combinations drawn by numpy.random.default_rng(seed), (n, 5) int64 in the order drawn."""
    chosen = np.random.default_rng(seed).choice(int(np.prod(FACTOR_SIZES)), size=n, replace=False)
    return np.stack(np.unravel_index(chosen, FACTOR_SIZES), axis=1).astype(np.int64)


EXAMPLE = (1, 3, 2, 6, 6)  # a mid-sized triangle near the centre: where one_factor_at_a_time's rows start


def one_factor_at_a_time(base: tuple[int, ...] = EXAMPLE) -> dict[str, np.ndarray]:
    """For each factor, the images of its every value with the other factors at base (one index per factor, into
    its values): factor name -> (its size, 28, 28) uint8, as render draws them."""
    rows = {}
    for f, (name, size) in enumerate(zip(FACTOR_NAMES, FACTOR_SIZES)):
        table = np.tile(np.array(base), (size, 1))
        table[:, f] = np.arange(size)
        rows[name] = render(table)
    return rows
