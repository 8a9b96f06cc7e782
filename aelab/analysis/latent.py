"""Working in the latent space: encode a dataset, decode codes, project them to 2-D, rank dimensions, find
neighbours, measure each dimension's KL. Paths through the space (traversals, interpolations, samples) are in
aelab.analysis.paths.

Shapes: x: (N, 1, H, W) in [0, 1]; z: (N, latent_dim). Functions take and return torch tensors unless they say
numpy (projections, which feed Plotly).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from aelab.train.losses import ACTIVE_KL, gaussian_kl


@torch.no_grad()
def encode_dataset(model, x: torch.Tensor, batch_size: int = 1000, y: torch.Tensor | None = None) -> torch.Tensor:
    """The codes of x (the posterior mean for a VAE), computed in batches: (N, latent_dim). y: x's labels, given to
    a conditional model (one not bound to a label, aelab.models.conditional)."""
    model.eval()
    if x.shape[0] == 0:
        return torch.zeros(0, model.latent_dim)
    if model.conditional:
        return torch.cat([model.encode(x[i:i + batch_size], y[i:i + batch_size])
                          for i in range(0, x.shape[0], batch_size)])
    return torch.cat([model.encode(x[i:i + batch_size]) for i in range(0, x.shape[0], batch_size)])


@torch.no_grad()
def decode(model, z: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Images decoded from codes z: (N, latent_dim) -> (N, 1, H, W), clipped to [0, 1] for display."""
    model.eval()
    return torch.cat([model.decode(z[i:i + batch_size]) for i in range(0, z.shape[0], batch_size)]).clamp(0, 1)


@torch.no_grad()
def reconstruct(model, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    return decode(model, encode_dataset(model, x, batch_size), batch_size)


@torch.no_grad()
def reconstruction_errors(model, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Per-image mean squared error of the (clipped) reconstruction: (N,)."""
    return (reconstruct(model, x, batch_size) - x).pow(2).flatten(1).mean(1)


# ---------------------------------------------------------------------------------------------------- projections
def latent_name(dim: int) -> str:
    """What users read for latent dimension dim (a 0-based index): z1 .. zd, as in the papers, on every page, in
    figure labels, CSV headers and widget keys."""
    return f"z{dim + 1}"


PROJECTION_AXES = {"pca": ("PC1", "PC2"), "umap": ("UMAP-1", "UMAP-2")}


@dataclass
class Projection:
    """2-D coordinates of codes plus the fitted map, so new codes (a drawn digit) land in the same picture."""

    method: str
    coords: np.ndarray  # (N, 2) float32
    params: dict[str, Any]
    reducer: Any = None  # fitted aelab.analysis.pca.PCA / umap.UMAP; None for raw axes

    @property
    def axes(self) -> tuple[str, str]:
        """The axes' names: a projection's own (PC1, UMAP-1...), never a code dimension's; raw axes name theirs."""
        if self.method == "raw":
            return tuple(latent_name(d) for d in self.params["dims"])
        if self.method == "pca" and getattr(self.reducer, "n_components_", 2) == 1:
            return ("PC1", "")  # a 1-latent code has one component, drawn along x
        return PROJECTION_AXES[self.method]

    def transform(self, z: torch.Tensor | np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float32)
        if self.method == "raw":
            dims = self.params["dims"]
            return z[:, list(dims)]
        return np.asarray(self.reducer.transform(z), dtype=np.float32)


def project_2d(z: torch.Tensor | np.ndarray, method: str = "pca", *, n_neighbors: int = 15, min_dist: float = 0.1,
               dims: tuple[int, int] = (0, 1), seed: int = 0) -> Projection:
    """method: "pca" | "umap" | "raw" (two chosen latent dimensions). UMAP is imported only when asked for: its
    import and first fit compile numba code (~20 s cold), which a PCA view should never pay."""
    z = np.asarray(z, dtype=np.float32)
    if method == "raw":
        if z.shape[1] < 2 or not all(0 <= d < z.shape[1] for d in dims) or dims[0] == dims[1]:
            raise ValueError(f"Choose two different dimensions between {latent_name(0)} and "
                             f"{latent_name(z.shape[1] - 1)}.")
        return Projection("raw", z[:, list(dims)].copy(), {"dims": tuple(dims)})
    if method == "pca":
        from aelab.analysis.pca import PCA  # scikit-learn's results without its import (~1.5 s of a first visit)

        reducer = PCA(n_components=min(2, z.shape[1])).fit(z)
        coords = reducer.transform(z)
        if coords.shape[1] == 1:  # a 1-latent model: spread along x only
            coords = np.hstack([coords, np.zeros_like(coords)])
        return Projection("pca", coords.astype(np.float32), {}, reducer)
    if method == "umap":
        from aelab.runtime.numba_cache import use_numba_disk_cache

        use_numba_disk_cache()  # before numba's import: its compiled kernels are reused across processes
        import umap

        n_neighbors = int(min(max(2, n_neighbors), max(2, z.shape[0] - 1)))
        reducer = umap.UMAP(n_neighbors=n_neighbors, min_dist=float(min_dist), random_state=seed, n_jobs=1)
        coords = reducer.fit_transform(z)
        return Projection("umap", coords.astype(np.float32), {"n_neighbors": n_neighbors, "min_dist": min_dist},
                          reducer)
    raise ValueError(f"Unknown projection {method!r}; valid: pca, umap, raw.")


def procrustes(previous: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Orthogonal Procrustes: (rotation (2, 2), shift (2,)) with current @ rotation + shift the closest rotation or
    reflection of current (N, 2), shifted, onto previous (N, 2). The two numbers are what a caller needs to undo the
    turn (a replayed map point back to its PCA coordinates: (p - shift) @ rotation.T)."""
    prev_centre, cur_centre = previous.mean(0), current.mean(0)
    u, _, vt = np.linalg.svd((current - cur_centre).T @ (previous - prev_centre))
    rotation = u @ vt
    return rotation, prev_centre - cur_centre @ rotation


def align_to(previous: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Rotate/reflect and shift current (N, 2) onto previous (N, 2) (procrustes) so that a projection recomputed each
    epoch keeps its orientation and clusters do not jump between frames."""
    rotation, shift = procrustes(previous, current)
    return current @ rotation + shift


# ------------------------------------------------------------------------------------------------- traversal
def dimension_importance(z: torch.Tensor, kl_per_dim: torch.Tensor | None = None) -> torch.Tensor:
    """Score per latent dimension: its KL for a VAE (what the model actually uses), else the codes' variance."""
    return kl_per_dim if kl_per_dim is not None else z.var(0)


def importance_order(scores: torch.Tensor) -> list[int]:
    """Dimension indices, most important first; ties keep index order so the order is the same on every run."""
    return sorted(range(scores.numel()), key=lambda d: (-float(scores[d]), d))


def neighbours(z_data: torch.Tensor, z_query: torch.Tensor, k: int = 8,
               exclude_self: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """The k nearest data codes (Euclidean) to each query: (indices (Q, k), distances (Q, k)), nearest first.
    exclude_self drops an exact match (a data point is its own nearest neighbour)."""
    distances = torch.cdist(z_query.reshape(-1, z_data.shape[1]).float(), z_data.float())
    k_eff = min(k + int(exclude_self), z_data.shape[0])
    values, indices = distances.topk(k_eff, largest=False)
    if exclude_self:
        values, indices = values[:, 1:], indices[:, 1:]
    return indices[:, :k], values[:, :k]


# -------------------------------------------------------------------------------------------- VAE diagnostics
@torch.no_grad()
def kl_per_dimension(model, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor | None:
    """Average KL(q(z_j|x) || N(0,1)) per latent dimension over x: (latent_dim,); None for a deterministic model."""
    model.eval()
    totals = None
    for i in range(0, x.shape[0], batch_size):
        mu, logvar = model.encode_distribution(x[i:i + batch_size])
        if logvar is None:
            return None
        part = gaussian_kl(mu, logvar, reduce=False).sum(0)
        totals = part if totals is None else totals + part
    return totals / x.shape[0]


def active_units(kl: torch.Tensor, threshold: float = ACTIVE_KL) -> int:
    """Dimensions whose average KL exceeds threshold nats: the ones the model uses (Burda et al. 2016 use the
    variance of the posterior mean; KL > 0.01 picks the same units here and reads off the same chart)."""
    return int((kl > threshold).sum())
