"""Paths through the latent space: each dimension's range, traversals and their grids, linear and spherical
interpolation, the three-way triangle, prior and fitted-Gaussian samples, and the grid a 2-latent plane is decoded on.
All work on codes z: (N, latent_dim) or (latent_dim,); nothing here calls a model."""
from __future__ import annotations

import math

import torch

RANGE_MODES = ("std", "prior", "minmax")


def dimension_ranges(z: torch.Tensor, mode: str = "std", k: float = 3.0) -> tuple[torch.Tensor, torch.Tensor]:
    """(low, high) per dimension, each (latent_dim,), from codes z: (N, latent_dim).

    "std": mean +- k standard deviations of the codes; "prior": -k..k, the standard-normal prior's quantiles
    Phi(-k)..Phi(k) (0.13%..99.87% for k=3; for a VAE); "minmax": the codes' range over the data."""
    if mode == "std":
        # One code has no spread; std() of one row is NaN, which would poison every slider built from it.
        std = z.std(0) if z.shape[0] > 1 else torch.zeros(z.shape[1])
        mean = z.mean(0)
        return mean - k * std, mean + k * std
    if mode == "prior":
        bound = torch.full((z.shape[1],), float(k))
        return -bound, bound
    if mode == "minmax":
        return z.min(0).values, z.max(0).values
    raise ValueError(f"Unknown range mode {mode!r}; valid: {', '.join(RANGE_MODES)}.")


def widen_to_include(low: torch.Tensor, high: torch.Tensor, z: torch.Tensor,
                     min_width: float = 1e-3) -> tuple[torch.Tensor, torch.Tensor]:
    """Ranges (each (d,)) stretched to contain the code z: (d,) and to be at least min_width wide, so a slider
    built from them can start at the code (a drawn digit may lie outside mean +- 3 std) and a dead dimension
    (zero variance) still gets a usable slider."""
    low, high = torch.minimum(low, z), torch.maximum(high, z)
    short = (high - low) < min_width
    centre = (low + high) / 2
    return torch.where(short, centre - min_width / 2, low), torch.where(short, centre + min_width / 2, high)


def slider_bounds(low: torch.Tensor, high: torch.Tensor) -> tuple[list[float], list[float]]:
    """Slider limits rounded outwards to 3 decimals (what a slider shows), as plain floats: Traverse's sliders in the
    app and in a lesson file."""
    lows = [math.floor(float(v) * 1000) / 1000 for v in low]
    highs = [math.ceil(float(v) * 1000) / 1000 for v in high]
    return lows, highs

def traverse(z: torch.Tensor, dim: int, values: torch.Tensor) -> torch.Tensor:
    """Copies of one code z: (latent_dim,) with dimension dim set to each of values: (S,) -> (S, latent_dim)."""
    codes = z.reshape(1, -1).repeat(len(values), 1)
    codes[:, dim] = values
    return codes


def traversal_values(value: float, low: float, high: float, steps: int, centre_on_value: bool = False) -> torch.Tensor:
    """steps values across [low, high]: (steps,). centre_on_value: the middle value is exactly value (steps odd;
    an even count gets one more), reached by even steps from low and on to high, so a traversal grid's centre
    column is the original code rather than the middle of the range."""
    if not centre_on_value:
        return torch.linspace(float(low), float(high), steps)
    half = max(steps // 2, 1)
    left = torch.linspace(float(low), float(value), half + 1)
    right = torch.linspace(float(value), float(high), half + 1)
    return torch.cat([left, right[1:]])


def traversal_grid(z: torch.Tensor, dims: list[int], low: torch.Tensor, high: torch.Tensor, steps: int,
                   centre_on_code: bool = False) -> torch.Tensor:
    """Codes for a grid: row r sweeps dims[r] from low to high, others fixed -> (len(dims) * steps', d), where
    steps' = steps, or the odd count traversal_values makes when centre_on_code puts the code in the middle."""
    z = z.reshape(-1)
    rows = [traverse(z, d, traversal_values(float(z[d]), float(low[d]), float(high[d]), steps, centre_on_code))
            for d in dims]
    return torch.cat(rows) if rows else torch.zeros(0, z.numel())


# ----------------------------------------------------------------------------------------------- interpolation
def pixel_blend(x_a: torch.Tensor, x_b: torch.Tensor, steps: int) -> torch.Tensor:
    """(1 - t) x_a + t x_b for t evenly from 0 to 1: (steps, 1, H, W)."""
    t = torch.linspace(0, 1, steps).view(-1, 1, 1, 1)
    return (1 - t) * x_a.unsqueeze(0) + t * x_b.unsqueeze(0) if x_a.dim() == 3 else (1 - t) * x_a + t * x_b


def interpolate(z_a: torch.Tensor, z_b: torch.Tensor, steps: int, method: str = "linear") -> torch.Tensor:
    """Codes from z_a to z_b (each (latent_dim,)), ends included: (steps, latent_dim).

    "slerp" (Shoemake 1985; White 2016 for generative models): along the great circle between the two directions,
    with the norm interpolated linearly, so intermediate codes keep a norm typical of Gaussian samples instead of
    shrinking towards the origin as a straight line between two such codes does."""
    t = torch.linspace(0, 1, steps).view(-1, 1)
    if method == "linear":
        return (1 - t) * z_a + t * z_b
    if method != "slerp":
        raise ValueError(f"Unknown interpolation {method!r}; valid: linear, slerp.")
    norm_a, norm_b = z_a.norm(), z_b.norm()
    if norm_a < 1e-12 or norm_b < 1e-12:
        return (1 - t) * z_a + t * z_b
    unit_a, unit_b = z_a / norm_a, z_b / norm_b
    omega = torch.arccos((unit_a * unit_b).sum().clamp(-1, 1))
    if omega.abs() < 1e-6:  # parallel within rounding: the arc has length 0, so the line is the arc
        direction = (1 - t) * unit_a + t * unit_b
    elif math.pi - float(omega) < 1e-6:
        # Opposite directions: every great circle through a joins b, and the formula divides by sin(pi) = 0.
        # Go through the unit vector orthogonal to a along the axis a is least aligned with.
        flat_a = unit_a.reshape(-1)
        axis = torch.zeros_like(flat_a)
        axis[flat_a.abs().argmin()] = 1.0
        normal = axis - (axis @ flat_a) * flat_a
        normal = (normal / normal.norm()).reshape(unit_a.shape)
        direction = torch.cos(t * math.pi) * unit_a + torch.sin(t * math.pi) * normal
    else:
        direction = (torch.sin((1 - t) * omega) * unit_a + torch.sin(t * omega) * unit_b) / torch.sin(omega)
    return direction * ((1 - t) * norm_a + t * norm_b)


def triangle_weights(steps: int) -> torch.Tensor:
    """Barycentric weights (w_a, w_b, w_c) on a triangular grid with steps points per side: (steps*(steps+1)/2, 3),
    row by row from the a corner (top) to the b-c edge (bottom)."""
    weights = []
    for row in range(steps):
        for col in range(row + 1):
            w_bc = row / max(steps - 1, 1)
            w_c = w_bc * (col / row if row else 0.0)
            weights.append((1 - w_bc, w_bc - w_c, w_c))
    return torch.tensor(weights, dtype=torch.float32)


def triangle_codes(z_a: torch.Tensor, z_b: torch.Tensor, z_c: torch.Tensor, steps: int) -> torch.Tensor:
    """Convex mixtures w_a z_a + w_b z_b + w_c z_c on triangle_weights(steps): (steps*(steps+1)/2, latent_dim)."""
    corners = torch.stack([z_a.reshape(-1), z_b.reshape(-1), z_c.reshape(-1)])
    return triangle_weights(steps) @ corners


def first_index_with_new_label(labels: torch.Tensor, taken: list[int]) -> int:
    """The first test index whose label none of the `taken` indices has (so a default third image of a triangle is
    another digit); the first index not taken when every label is taken."""
    used = {int(labels[i]) for i in taken}
    for index, label in enumerate(labels.tolist()):
        if label not in used:
            return index
    return next((i for i in range(len(labels)) if i not in taken), 0)

# ---------------------------------------------------------------------------------------------------- sampling
def sample_prior(n: int, latent_dim: int, temperature: float = 1.0, seed: int = 0) -> torch.Tensor:
    """n codes from N(0, temperature^2 I): (n, latent_dim)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, latent_dim, generator=generator) * temperature


def fit_gaussian(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (d,) and covariance (d, d) of codes z: (N, d), the covariance nudged to be positive definite."""
    mean = z.mean(0)
    centred = z - mean
    cov = centred.T @ centred / max(z.shape[0] - 1, 1)
    return mean, cov + 1e-5 * torch.eye(z.shape[1])


def sample_gaussian(mean: torch.Tensor, cov: torch.Tensor, n: int, temperature: float = 1.0,
                    seed: int = 0) -> torch.Tensor:
    """n codes from N(mean, temperature^2 cov): (n, d)."""
    generator = torch.Generator().manual_seed(seed)
    eps = torch.randn(n, mean.numel(), generator=generator) * temperature
    return mean + eps @ torch.linalg.cholesky(cov).T


# ------------------------------------------------------------------------------------------------- neighbours
def manifold_grid(n: int, low: float, high: float, gaussian_quantiles: bool = False) -> torch.Tensor:
    """Codes on an even n x n grid over the plane for a 2-latent model: (n*n, 2), row-major, top row = high y.

    gaussian_quantiles: place the grid at Phi^-1 of evenly spaced probabilities, as in Kingma & Welling's figures,
    so each cell holds equal prior mass."""
    if gaussian_quantiles:
        p = torch.linspace(0.05, 0.95, n)
        axis = math.sqrt(2) * torch.erfinv(2 * p - 1)
    else:
        axis = torch.linspace(low, high, n)
    ys, xs = torch.meshgrid(axis.flip(0), axis, indexing="ij")
    return torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)
