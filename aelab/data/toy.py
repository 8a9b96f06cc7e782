"""Toy point clouds for the Playground: 2-D and 3-D data small enough to see whole, generated in numpy, seeded.

Each set is a clean manifold (a curve, a surface; none for the Gaussian blob) given by one or more parametric pieces
u in [0, 1]^k -> R^D, plus isotropic Gaussian noise of standard deviation `noise` (in the set's own units). Points are
then standardised with one offset and ONE scale for every axis, so circles stay circles and angles (PCA's direction)
are those of the raw data; the clean manifold goes through the same map, so distances to it are in the units the
model sees. Toy sets are not image sources: they are not in aelab.data.sources.list_sources().
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from aelab.errors import DataError

Piece = Callable[[np.ndarray], np.ndarray]  # u: (M, k) in [0, 1] -> points (M, D)
DENSE_1D = 4000  # samples of a clean curve: spacing ~0.005 standardised units, far below any noise level used
DENSE_2D = (300, 60)  # a clean surface's grid: along the roll, across it (~0.05 standardised units apart)
MIN_DRAWN = 10
N_RANGE = (50, 5000)
NOISE_RANGE = (0.0, 1.0)
PLANE = (-2.0, 2.0)  # the drawing plane's range on both axes, in the drawing's own units


@dataclass(frozen=True)
class ToySpec:
    name: str
    label: str
    description: str
    dim: int  # D
    manifold_dim: int  # k; 0 for the blob (no manifold)
    pieces: tuple[Piece, ...]
    default_noise: float


def _circle(u):
    angle = 2 * np.pi * u[:, 0]
    return np.stack([np.cos(angle), np.sin(angle)], 1)


def _moon_upper(u):
    angle = np.pi * u[:, 0]
    return np.stack([np.cos(angle), np.sin(angle)], 1)


def _moon_lower(u):
    angle = np.pi * u[:, 0]
    return np.stack([1 - np.cos(angle), 0.5 - np.sin(angle)], 1)


def _spiral(u):
    t = u[:, 0]
    radius, angle = 0.3 + 1.7 * t, 3 * np.pi * t  # one and a half turns; arms 1.1 apart
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1)


def _sine(u):
    x = np.pi * (2 * u[:, 0] - 1)
    return np.stack([x, np.sin(x)], 1)


def _swiss_roll(u):
    angle = 1.5 * np.pi * (1 + 2 * u[:, 0])  # scikit-learn's make_swiss_roll, scaled by 1/10
    return np.stack([angle * np.cos(angle) / 10, 2 * u[:, 1], angle * np.sin(angle) / 10], 1)


def _helix(u):
    angle = 4 * np.pi * u[:, 0]  # two turns
    return np.stack([np.cos(angle), np.sin(angle), 3 * u[:, 0] - 1.5], 1)


BLOB_STDS = (1.0, 0.25)  # along and across its long axis: the top eigenvalue is 16x the other
BLOB_ANGLE = np.pi / 6

TOY_SETS: dict[str, ToySpec] = {s.name: s for s in [
    ToySpec("circle", "Noisy circle", "A circle of radius 1: a closed curve no single straight line can follow.",
            2, 1, (_circle,), 0.08),
    ToySpec("moons", "Two moons", "Two interleaved half circles, as scikit-learn's make_moons.", 2, 1,
            (_moon_upper, _moon_lower), 0.08),
    ToySpec("spiral", "Spiral", "One and a half turns of a spiral whose arms lie 1.1 apart.", 2, 1, (_spiral,), 0.05),
    ToySpec("sine", "Sine curve", "One period of y = sin(x).", 2, 1, (_sine,), 0.1),
    ToySpec("blob", "Anisotropic blob", "A Gaussian cloud 4x longer than wide, tilted by 30 degrees: no manifold, "
            "only a main direction.", 2, 0, (), 0.0),
    ToySpec("swiss_roll", "Swiss roll (3-D)", "A rolled-up sheet: a 2-D surface in 3-D.", 3, 2, (_swiss_roll,), 0.05),
    ToySpec("helix", "Helix (3-D)", "Two turns of a helix: a 1-D curve in 3-D.", 3, 1, (_helix,), 0.05),
]}
DRAWN = "drawn"


@dataclass(frozen=True)
class ToyData:
    """A toy set, standardised: raw = points * scale + offset.

    points: (N, D) float32, what the model trains on; clean_points: (N, D) where each point was before its noise
    (None for the blob); clean: (M, D) a dense sampling of the clean manifold and tangents: (M, D, k) an orthonormal
    basis of its tangent space at each sample (None for the blob); noise: the data's own noise in standardised units.
    """

    name: str
    points: np.ndarray
    clean_points: np.ndarray | None
    clean: np.ndarray | None
    tangents: np.ndarray | None
    noise: float
    offset: np.ndarray
    scale: float
    seed: int

    @property
    def dim(self) -> int:
        return self.points.shape[1]

    @property
    def has_manifold(self) -> bool:
        return self.clean is not None

    def distance_to_clean(self, x: np.ndarray) -> np.ndarray:
        """x: (N, D) standardised -> (N,) distance from each point to the nearest sample of the clean manifold."""
        if self.clean is None:
            raise DataError(f"The {self.name} set has no clean manifold to measure distances to.")
        return nearest_distance(np.asarray(x, dtype=np.float64), self.clean.astype(np.float64))


    def position_on_clean(self, x: np.ndarray) -> np.ndarray:
        """(N, D) -> (N,) in [0, 1]: where along the clean manifold's samples each point's nearest one lies (for a
        curve: 0 at its start, 1 at its end; pieces one after the other)."""
        if self.clean is None:
            raise DataError(f"The {self.name} set has no clean manifold to place points on.")
        index = nearest(np.asarray(x, dtype=np.float64), self.clean.astype(np.float64))[1]
        return index / max(len(self.clean) - 1, 1)


def nearest(x: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, D), (M, D) -> the Euclidean distance from each row of x to its nearest row of reference, and that row's
    index, each (N,). Chunked so memory stays N-independent; differences, not the |a|^2 - 2ab + |b|^2 shortcut,
    which loses small distances."""
    distance, index = np.empty(x.shape[0]), np.empty(x.shape[0], dtype=np.int64)
    chunk = max(8, 1_000_000 // max(len(reference), 1))  # ~25 MB of differences at a time
    for start in range(0, x.shape[0], chunk):
        diff = x[start:start + chunk, None, :] - reference[None, :, :]
        squared = (diff * diff).sum(-1)
        index[start:start + chunk] = squared.argmin(1)
        distance[start:start + chunk] = np.sqrt(squared.min(1))
    return distance, index


def nearest_distance(x: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(N, D), (M, D) -> (N,) distance from each row of x to the nearest row of reference."""
    return nearest(x, reference)[0]


def _check_knobs(n: int, noise: float) -> None:
    if not (isinstance(n, (int, np.integer)) and N_RANGE[0] <= n <= N_RANGE[1]):
        raise DataError(f"The number of points must be a whole number between {N_RANGE[0]} and {N_RANGE[1]}, got {n}.")
    if not (np.isfinite(noise) and NOISE_RANGE[0] <= noise <= NOISE_RANGE[1]):
        raise DataError(f"The data's noise must be between {NOISE_RANGE[0]} and {NOISE_RANGE[1]}, got {noise}.")


def _dense(pieces: tuple[Piece, ...], k: int) -> tuple[np.ndarray, np.ndarray]:
    """A dense sampling of the pieces (M, D) and its orthonormal tangent bases (M, D, k) by central differences."""
    if k == 1:
        grid = np.linspace(0, 1, DENSE_1D // len(pieces))[:, None]
    else:
        sides = [np.linspace(0, 1, count) for count in DENSE_2D]
        grid = np.stack(np.meshgrid(*sides, indexing="ij"), -1).reshape(-1, 2)
    points, tangents, h = [], [], 1e-4
    for piece in pieces:
        points.append(piece(grid))
        steps = np.eye(k) * h
        columns = [(piece(grid + steps[j]) - piece(grid - steps[j])) / (2 * h) for j in range(k)]
        basis, _ = np.linalg.qr(np.stack(columns, -1))  # (M, D, k) orthonormal columns
        tangents.append(basis)
    return np.concatenate(points), np.concatenate(tangents)


def _sample(pieces: tuple[Piece, ...], k: int, n: int, rng: np.random.Generator) -> np.ndarray:
    which = rng.integers(len(pieces), size=n)
    u = rng.uniform(size=(n, k))
    out = np.empty((n, pieces[0](u[:1]).shape[1]))
    for index, piece in enumerate(pieces):
        chosen = which == index
        out[chosen] = piece(u[chosen])
    return out


def _standardised(name: str, raw: np.ndarray, clean_points, clean, tangents, noise: float, seed: int) -> ToyData:
    offset = raw.mean(0)
    scale = float(np.sqrt(((raw - offset) ** 2).sum(1).mean() / raw.shape[1]))  # one scale: shapes keep their angles
    if not scale > 1e-6:
        raise DataError("All the points are on one spot: spread them out so there is a shape to learn.")

    def f32(a):
        return None if a is None else ((a - offset) / scale).astype(np.float32)

    return ToyData(name, f32(raw), f32(clean_points), f32(clean),
                   None if tangents is None else tangents.astype(np.float32), noise / scale, offset, scale, seed)


def make_toy(name: str, n: int = 1000, noise: float | None = None, seed: int = 0) -> ToyData:
    """n points of the named set with isotropic Gaussian noise (default: the set's own level), standardised."""
    spec = TOY_SETS.get(name)
    if spec is None:
        raise DataError(f"Unknown toy set {name!r}; valid: {', '.join(TOY_SETS)}.")
    noise = spec.default_noise if noise is None else float(noise)
    _check_knobs(n, noise)
    rng = np.random.default_rng(seed)
    if spec.manifold_dim == 0:
        c, s = np.cos(BLOB_ANGLE), np.sin(BLOB_ANGLE)
        raw = (rng.normal(size=(n, 2)) * BLOB_STDS) @ np.array([[c, s], [-s, c]])
        raw = raw + noise * rng.normal(size=raw.shape)
        return _standardised(name, raw, None, None, None, noise, seed)
    clean_points = _sample(spec.pieces, spec.manifold_dim, n, rng)
    raw = clean_points + noise * rng.normal(size=clean_points.shape)
    clean, tangents = _dense(spec.pieces, spec.manifold_dim)
    return _standardised(name, raw, clean_points, clean, tangents, noise, seed)


def _polyline(clicks: np.ndarray) -> Piece:
    """The path through the clicks in order, parametrised by arc length: u in [0, 1] -> (M, 2)."""
    keep = np.r_[True, np.linalg.norm(np.diff(clicks, axis=0), axis=1) > 1e-9]
    vertices = clicks[keep]
    arc = np.r_[0, np.cumsum(np.linalg.norm(np.diff(vertices, axis=0), axis=1))]
    arc = arc / arc[-1]

    def piece(u):
        t = np.clip(u[:, 0], 0, 1)
        return np.stack([np.interp(t, arc, vertices[:, 0]), np.interp(t, arc, vertices[:, 1])], 1)

    return piece


def check_drawing(clicks) -> np.ndarray:
    """The clicked points as (K, 2) floats, or a DataError saying what is wrong with them."""
    clicks = np.asarray(clicks, dtype=np.float64).reshape(-1, 2) if len(clicks) else np.zeros((0, 2))
    if not np.isfinite(clicks).all():
        raise DataError("Some drawn points are not numbers (NaN or infinite); clear them and draw again.")
    if clicks.shape[0] < MIN_DRAWN:
        raise DataError(f"Draw at least {MIN_DRAWN} points to make a shape; there are {clicks.shape[0]} so far.")
    if np.ptp(clicks, axis=0).max() < 0.05 * (PLANE[1] - PLANE[0]):
        raise DataError("All the drawn points are on one spot: spread them out along a curve.")
    return clicks


def from_drawing(clicks, n: int = 1000, noise: float = 0.05, seed: int = 0) -> ToyData:
    """A toy set from points clicked on the plane: the path through them in click order is the clean curve, and n
    points are drawn along it with the given noise (as the built-in sets are)."""
    clicks = check_drawing(clicks)
    _check_knobs(n, float(noise))
    piece = _polyline(clicks)
    rng = np.random.default_rng(seed)
    clean_points = _sample((piece,), 1, n, rng)
    raw = clean_points + noise * rng.normal(size=clean_points.shape)
    clean, tangents = _dense((piece,), 1)
    return _standardised(DRAWN, raw, clean_points, clean, tangents, float(noise), seed)
