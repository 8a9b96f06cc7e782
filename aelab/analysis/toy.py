"""What the Playground draws, computed from a model on points (x: (N, D) standardised, as numpy arrays).

The reconstruction map r(x) = g(f(x)) and its displacement r(x) - x on a grid (the vector field), r iterated, the
decoder's image of the code range (the learned manifold), PCA's line, the encoder Jacobian's gains along and off the
clean manifold, and a VAE's posteriors and prior samples. Plotting is the page's job; this module returns arrays.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.func import jacrev, vmap

GRID_SIDE = 23  # arrows per side of the vector field: readable at 400-500 px
ELLIPSE_POINTS = 48


def _tensor(x: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float32))


@torch.no_grad()
def reconstruct(model, x: np.ndarray) -> np.ndarray:
    """r(x) = g(f(x)) with the code's mean (a VAE does not sample): (N, D) -> (N, D)."""
    model.eval()
    return model(_tensor(x), sample=False).x_hat.numpy()


@torch.no_grad()
def encode(model, x: np.ndarray) -> np.ndarray:
    """(N, D) -> (N, latent_dim) codes (a VAE's posterior means)."""
    model.eval()
    return model.encode(_tensor(x)).numpy()


@torch.no_grad()
def decode(model, z: np.ndarray) -> np.ndarray:
    model.eval()
    return model.decode(_tensor(z)).numpy()


def iterate(model, x: np.ndarray, steps: int) -> np.ndarray:
    """x, r(x), r(r(x)), ...: (steps + 1, N, D). A denoising AE's iterates flow onto the manifold."""
    path = [np.asarray(x, dtype=np.float32)]
    for _ in range(steps):
        path.append(reconstruct(model, path[-1]))
    return np.stack(path)


def plane_grid(points: np.ndarray, side: int = GRID_SIDE, margin: float = 0.35) -> np.ndarray:
    """(side^2, 2) grid over the points' bounding box widened by margin of its size on each side."""
    low, high = points.min(0), points.max(0)
    pad = (high - low) * margin
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], side)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], side)
    return np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2).astype(np.float32)


@dataclass(frozen=True)
class Field:
    """Arrows from start to start + move, move = r(start) - start; length = |move|."""

    start: np.ndarray  # (G, D)
    move: np.ndarray  # (G, D)

    @property
    def length(self) -> np.ndarray:
        return np.linalg.norm(self.move, axis=1)


def vector_field(model, points: np.ndarray, corruption: float = 0.3, seed: int = 0) -> Field:
    """The displacement r(x) - x: on a grid around 2-D data (the picture of the NYU notes' figure 17); for 3-D
    data, at 300 of the points moved by N(0, corruption^2 I), since a 3-D grid of arrows cannot be read."""
    if points.shape[1] == 2:
        start = plane_grid(points)
    else:
        rng = np.random.default_rng(seed)
        pick = rng.choice(points.shape[0], size=min(300, points.shape[0]), replace=False)
        start = (points[pick] + corruption * rng.normal(size=(len(pick), points.shape[1]))).astype(np.float32)
    return Field(start, reconstruct(model, start) - start)


def manifold(model, codes: np.ndarray, n_1d: int = 300, side_2d: int = 21, margin: float = 0.1) -> np.ndarray:
    """The decoder's image of the codes' range, widened by margin: (n_1d, D) for a 1-D code, a (side, side, D) sheet
    for a 2-D code (drawn as a mesh); larger codes have no single picture and give (0, D)."""
    low, high = codes.min(0), codes.max(0)
    pad = (high - low) * margin + 1e-3
    if codes.shape[1] == 1:
        return decode(model, np.linspace(low[0] - pad[0], high[0] + pad[0], n_1d)[:, None])
    if codes.shape[1] == 2:
        axes = [np.linspace(low[j] - pad[j], high[j] + pad[j], side_2d) for j in range(2)]
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 2)
        return decode(model, grid).reshape(side_2d, side_2d, -1)
    return np.zeros((0, model.config.input_dim), dtype=np.float32)


def pca_line(points: np.ndarray, reach: float = 2.5) -> tuple[np.ndarray, np.ndarray]:
    """PCA's first component: (2, D) ends of the line mean +- reach standard deviations along it, and the unit
    direction (D,). The direction's sign is fixed (first nonzero coordinate positive) so angles compare."""
    mean = points.mean(0)
    _, s, vh = np.linalg.svd(points - mean, full_matrices=False)
    direction = vh[0] * np.sign(vh[0][np.flatnonzero(np.abs(vh[0]) > 1e-12)[0]])
    spread = reach * s[0] / np.sqrt(max(len(points) - 1, 1))
    return np.stack([mean - spread * direction, mean + spread * direction]), direction


def line_angle_degrees(u: np.ndarray, v: np.ndarray) -> float:
    """The angle between two lines (directions u, v; either sign), in [0, 90] degrees."""
    cos = abs(float(u @ v)) / (np.linalg.norm(u) * np.linalg.norm(v))
    return float(np.degrees(np.arccos(min(1.0, cos))))


def linear_direction(model) -> np.ndarray:
    """The line a linear AE (or PCA) decodes its 1-D code onto: the decoder's direction d(1) - d(0), unit length."""
    ends = decode(model, np.array([[0.0], [1.0]], dtype=np.float32))
    direction = ends[1] - ends[0]
    return direction / np.linalg.norm(direction)


def encoder_jacobians(model, x: np.ndarray) -> np.ndarray:
    """J_f(x) = df/dx at each point: (N, latent_dim, D), exact, by torch.func (jacrev of one point, vmapped)."""
    model.eval()

    def f(point: torch.Tensor) -> torch.Tensor:
        return model.encode(point[None])[0]

    with torch.no_grad():
        return vmap(jacrev(f))(_tensor(x)).numpy()


@dataclass(frozen=True)
class Gains:
    """How much the code moves per unit move of the input, at samples of the clean manifold: along it (the largest
    singular value of J T, T its tangent basis) and off it (the largest singular value of J N, N the normal basis).
    off / along does not change if the code is rescaled, so a penalty cannot fake it by shrinking the code."""

    along: np.ndarray  # (M,)
    off: np.ndarray  # (M,)

    @property
    def ratio(self) -> np.ndarray:
        return self.off / np.maximum(self.along, 1e-12)

    @property
    def median_ratio(self) -> float:
        return float(np.median(self.ratio))


def normal_bases(tangents: np.ndarray) -> np.ndarray:
    """(M, D, k) orthonormal tangent bases -> (M, D, D - k) orthonormal bases of their complements."""
    m, d, k = tangents.shape
    full, _, _ = np.linalg.svd(tangents, full_matrices=True)  # the last D - k left singular vectors span the normals
    return full[:, :, k:]


def jacobian_gains(model, clean: np.ndarray, tangents: np.ndarray, every: int = 20) -> Gains:
    """Gains of the encoder along and off the manifold at every `every`-th clean sample (clean: (M, D), tangents:
    (M, D, k))."""
    points, basis = clean[::every], tangents[::every].astype(np.float64)
    jac = encoder_jacobians(model, points).astype(np.float64)
    along = np.linalg.svd(jac @ basis, compute_uv=False)[:, 0]
    off = np.linalg.svd(jac @ normal_bases(basis), compute_uv=False)[:, 0]
    return Gains(along, off)


@dataclass(frozen=True)
class Posteriors:
    """A VAE's q(z|x) for a few points: mean and standard deviation (K, L), the 2-sigma ellipse (or, for a 1-D code,
    the segment) in code space (K, P, L) and its image under the decoder (K, P, D)."""

    points: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray
    outline: np.ndarray
    decoded: np.ndarray


@torch.no_grad()
def posteriors(model, points: np.ndarray) -> Posteriors:
    model.eval()
    mu, logvar = model.encode_distribution(_tensor(points))
    mu, sigma = mu.numpy(), np.exp(0.5 * logvar.numpy())
    if mu.shape[1] == 1:
        steps = np.linspace(-2, 2, ELLIPSE_POINTS)[None, :, None]
        outline = mu[:, None, :] + steps * sigma[:, None, :]
    else:
        angle = np.linspace(0, 2 * np.pi, ELLIPSE_POINTS)
        circle = np.stack([np.cos(angle), np.sin(angle)], 1)[None] * 2  # (1, P, 2)
        outline = mu[:, None, :2] + circle * sigma[:, None, :2]
    k, p, latent = outline.shape
    decoded = decode(model, outline.reshape(-1, latent).astype(np.float32)).reshape(k, p, -1)
    return Posteriors(np.asarray(points), mu, sigma, outline, decoded)


def prior_samples(model, n: int = 300, seed: int = 0) -> np.ndarray:
    """g(z) for z ~ N(0, I): (n, D), what the VAE generates."""
    z = np.random.default_rng(seed).normal(size=(n, model.config.latent_dim)).astype(np.float32)
    return decode(model, z)
