"""Maps of the latent space for the Latent Space page: precomputed (shipped) UMAP projections, placing new codes on
a map that has no fitted reducer, the live plane's basis (which code a point of a PCA or raw map
decodes), the decoded manifold as one picture aligned to the plot's axes, and CSV export.

Kept apart from aelab.analysis.latent (the latent-space arithmetic) because these are about pictures of it.
No streamlit.
Shapes: z: (N, latent_dim); coords: (N, 2) float32; images: (N, 1, H, W) in [0, 1].
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from aelab.analysis.latent import Projection, encode_dataset, latent_name, project_2d

# The UMAP the page shows first; the shipped projections are computed with exactly these, so asking for the default
# map of a pretrained model is a file read instead of a ~2 s fit (~25 s in a fresh process while numba compiles).
UMAP_DEFAULTS: dict[str, Any] = {"n_neighbors": 15, "min_dist": 0.1, "seed": 0}
SHIPPED_UMAP_FILE = "umap_test.npz"


# --------------------------------------------------------------------------------------------- shipped projections
def default_umap(model, x_test: torch.Tensor) -> Projection:
    """The default UMAP (UMAP_DEFAULTS) of the codes of x_test (N, 1, H, W), a dataset's test split: what the Latent
    Space page shows when UMAP is chosen. Compiles numba code on a process's first call (~25 s)."""
    z = encode_dataset(model, x_test)
    return project_2d(z, "umap", n_neighbors=UMAP_DEFAULTS["n_neighbors"], min_dist=UMAP_DEFAULTS["min_dist"],
                      seed=UMAP_DEFAULTS["seed"])


def needs_umap(model_config) -> bool:
    """Whether a model's map is ever a UMAP worth computing ahead: not with 1 or 2 latent dimensions (the map is the
    code plane itself, drawn as it is) nor for a conditional model (its codes depend on the label the page picks)."""
    return model_config.latent_dim > 2 and not model_config.conditional


def map_trained_model(model, x_test: torch.Tensor, dataset_name: str, data_identity: str,
                      saved_path: str | Path | None = None) -> Projection:
    """The default UMAP of a model just trained (default_umap), also written beside it when it was saved, keyed by
    the data and weights it maps (umap_artefact_bytes), so a server started later finds it too."""
    from aelab.library.store import write_artefact

    projection = default_umap(model, x_test)
    if saved_path is not None:
        codes = encode_dataset(model, x_test).numpy()
        for file_name, data in umap_artefact_bytes(projection, model, dataset_name, data_identity, codes).items():
            write_artefact(saved_path, file_name, data)
    return projection


def umap_artefact_bytes(projection: Projection, model, dataset_name: str, data_identity: str,
                        codes: np.ndarray | None = None) -> dict[str, bytes]:
    """{"umap_test.npz": bytes}: the projection's coords (N, 2) float32, its parameters, the dataset name and N, and
    the cache identity it was computed from (the data's identity and the weights' digest), so it is only ever used
    for the same data and the same weights. With the points' codes, also the map's learned inverse
    (aelab.analysis.inverse, a second or two), so the Latent page decodes under the cursor on its first visit."""
    from aelab.analysis.inverse import fit_inverse, inverse_arrays
    from aelab.runtime.identity import weights_digest

    inverse = {} if codes is None else inverse_arrays(fit_inverse(projection.coords, codes))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **inverse, coords=projection.coords.astype(np.float32),
                        n_neighbors=np.int64(projection.params["n_neighbors"]),
                        min_dist=np.float64(projection.params["min_dist"]), seed=np.int64(UMAP_DEFAULTS["seed"]),
                        dataset=np.str_(dataset_name), n_points=np.int64(len(projection.coords)),
                        data_identity=np.str_(data_identity), weights=np.str_(weights_digest(model)))
    return {SHIPPED_UMAP_FILE: buffer.getvalue()}


def umap_artefact(model, dataset) -> dict[str, bytes]:
    """An ARTEFACT_BUILDERS entry: the default UMAP of dataset's test split (umap_artefact_bytes), written into a
    pretrained model's cache/; a training job writes the same file for the model it saves. None ({}) for a
    conditional model: its codes depend on the label the page picks."""
    if model.conditional:
        return {}
    return umap_artefact_bytes(default_umap(model, dataset.x_test), model, dataset.name, dataset.identity,
                               encode_dataset(model, dataset.x_test).numpy())


def shipped_umap(model_path: str | Path, dataset_name: str, n_points: int, n_neighbors: int,
                 min_dist: float, *, data_identity: str | None = None, weights: str | None = None) -> Projection | None:
    """The shipped UMAP of a model folder's test split, cut to its first n_points, if there is one for exactly this
    dataset and these parameters; else None (compute it instead). With data_identity and weights (the cache
    identity's data and weights digest; the app always passes them), only an artefact computed from that same data
    and those same weights counts: a stale one (other weights saved under the name, a new version of the data, or
    an artefact written before identities were recorded) is ignored and the map recomputed. The result has no
    reducer: place new codes with place_by_neighbours. Unreadable artefacts count as absent: they only save time."""
    from aelab.errors import ModelStoreError
    from aelab.library.store import read_artefact

    try:
        saved = read_artefact(model_path, SHIPPED_UMAP_FILE)
    except ModelStoreError:
        return None
    if not saved or "coords" not in saved:
        return None
    same_source = all(wanted is None or str(saved.get(field, "")) == wanted
                      for field, wanted in (("data_identity", data_identity), ("weights", weights)))
    matches = (same_source and str(saved.get("dataset")) == dataset_name and int(saved.get("n_points", -1)) >= n_points
               and int(saved.get("n_neighbors", -1)) == int(n_neighbors)
               and abs(float(saved.get("min_dist", -1.0)) - float(min_dist)) < 1e-9)
    coords = np.asarray(saved["coords"], dtype=np.float32)
    if not matches or coords.ndim != 2 or coords.shape[1] != 2 or len(coords) < n_points:
        return None
    inverse = {name: value for name, value in saved.items() if name.startswith("inverse.")}  # fitted on every point
    return Projection("umap", coords[:n_points].copy(), {"n_neighbors": int(n_neighbors), "min_dist": float(min_dist),
                                                         "shipped": True, **({"inverse": inverse} if inverse else {})})


def place_by_neighbours(z_data: torch.Tensor | np.ndarray, coords: np.ndarray, z_query: torch.Tensor | np.ndarray,
                        k: int = 5) -> np.ndarray:
    """Map positions (Q, 2) for new codes z_query (Q, d) on a map of z_data (N, d) -> coords (N, 2) that has no
    fitted reducer: the inverse-distance weighted mean of the positions of each query's k nearest data codes. This is
    how umap-learn's own transform starts placing new points (before its few refining epochs), so it lands where a
    fitted UMAP would put it, give or take the refinement. An exact match takes that point's position."""
    data = torch.as_tensor(np.asarray(z_data), dtype=torch.float32)
    query = torch.as_tensor(np.asarray(z_query), dtype=torch.float32).reshape(-1, data.shape[1])
    # The matrix-product shortcut (|a|^2 + |b|^2 - 2ab) loses an exact match to cancellation (distance ~1e-3 instead
    # of 0 on some CPUs), so the direct difference is used: the maps hold a few thousand codes at most.
    distances = torch.cdist(query, data, compute_mode="donot_use_mm_for_euclid_dist")
    values, indices = distances.topk(min(k, data.shape[0]), largest=False)
    weights = 1.0 / values.clamp(min=1e-8)
    weights = weights / weights.sum(1, keepdim=True)
    positions = torch.as_tensor(np.asarray(coords), dtype=torch.float32)[indices]  # (Q, k, 2)
    return (weights.unsqueeze(-1) * positions).sum(1).numpy().astype(np.float32)


def transform_new(projection: Projection, z_data: torch.Tensor | np.ndarray,
                  z_query: torch.Tensor | np.ndarray) -> tuple[np.ndarray, bool]:
    """Map positions (Q, 2) for new codes, and whether they are exact (the fitted reducer, or raw axes) rather than
    placed by neighbours (a shipped map without a reducer)."""
    if projection.method == "raw" or projection.reducer is not None:
        placed = projection.transform(np.asarray(z_query, dtype=np.float32).reshape(-1, np.asarray(z_data).shape[1]))
        if placed.shape[1] == 1:  # PCA of a 1-latent model is a line; the map spreads it along x
            placed = np.hstack([placed, np.zeros_like(placed)])
        return placed.astype(np.float32), True
    return place_by_neighbours(z_data, projection.coords, z_query), False


# ------------------------------------------------------------------------------------------------ manifold picture
def cell_edges(centres: np.ndarray) -> np.ndarray:
    """Edges (n+1,) of the cells around sorted centres (n,): midpoints between neighbours, the outer cells as wide
    as their inner neighbours' half-gaps mirrored (for an even grid, every cell is equally wide)."""
    centres = np.asarray(centres, dtype=np.float64)
    if len(centres) == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    inner = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[centres[0] - (inner[0] - centres[0])], inner, [centres[-1] + (centres[-1] - inner[-1])]])


def tile_on_axes(images: torch.Tensor | np.ndarray, x_centres: np.ndarray, y_centres: np.ndarray,
                 pixels_per_tile: int = 56) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Decoded images on a grid of codes -> one uint8 picture whose pixels are linear in the latent coordinates, so
    it lies under a scatter plot aligned to its axes; and its extent (x0, x1, y0, y1).

    images: (ny * nx, 1, H, W), row-major with the top row at the highest y (the order of
    aelab.analysis.paths.manifold_grid).
    x_centres (nx,), y_centres (ny,): sorted ascending. Uneven centres (the VAE's inverse-Gaussian-CDF grid) give
    tiles of uneven size: each tile fills the cell of latent space around its code."""
    array = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    array = array.reshape(len(y_centres), len(x_centres), *array.shape[-2:])
    x_edges, y_edges = cell_edges(x_centres), cell_edges(y_centres)
    width, height = len(x_centres) * pixels_per_tile, len(y_centres) * pixels_per_tile
    x_pix = np.round((x_edges - x_edges[0]) / (x_edges[-1] - x_edges[0]) * width).astype(int)
    y_pix = np.round((y_edges[-1] - y_edges[::-1]) / (y_edges[-1] - y_edges[0]) * height).astype(int)  # top first
    picture = np.zeros((height, width), np.float32)
    for row in range(len(y_centres)):
        for col in range(len(x_centres)):
            top, bottom, left, right = y_pix[row], y_pix[row + 1], x_pix[col], x_pix[col + 1]
            if bottom > top and right > left:
                picture[top:bottom, left:right] = cv2.resize(array[row, col].astype(np.float32),
                                                             (right - left, bottom - top),
                                                             interpolation=cv2.INTER_AREA)
    picture = (np.clip(picture, 0, 1) * 255 + 0.5).astype(np.uint8)
    return picture, (float(x_edges[0]), float(x_edges[-1]), float(y_edges[0]), float(y_edges[-1]))


def prior_cdf(z: np.ndarray | torch.Tensor) -> np.ndarray:
    """Phi(z), the standard normal CDF, elementwise: a VAE's latent plane in "prior quantile" coordinates, where the
    N(0, 1) prior is uniform on the unit square and Kingma & Welling's inverse-CDF grid is an even grid."""
    return (0.5 * (1 + torch.erf(torch.as_tensor(np.asarray(z), dtype=torch.float64) / np.sqrt(2)))).numpy()


def prior_quantile(p: np.ndarray | torch.Tensor) -> np.ndarray:
    """Phi^-1(p), the inverse of prior_cdf; p is clipped to [1e-6, 1 - 1e-6] so the plane's edges stay finite."""
    p = torch.as_tensor(np.asarray(p), dtype=torch.float64).clamp(1e-6, 1 - 1e-6)
    return (np.sqrt(2) * torch.erfinv(2 * p - 1)).numpy()


def plane_range(coords: np.ndarray, margin: float = 0.08, quantile: float = 0.005) -> tuple[float, float]:
    """One (low, high) covering both axes of coords (N, 2) with a margin, ignoring the outermost 0.5% of points on
    each side so one outlier does not shrink the map: the square of latent space the manifold picture covers."""
    low = float(np.quantile(coords, quantile, axis=0).min())
    high = float(np.quantile(coords, 1 - quantile, axis=0).max())
    pad = (high - low) * margin or 1.0
    return low - pad, high + pad


def plane_basis(projection: Projection, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """(origin (d,), axes (2, d), what the page says): a point (u, v) decodes origin + u axes[0] + v axes[1]."""
    latent_dim = z.shape[1]
    if projection.method == "pca":
        reducer = projection.reducer
        axes = np.zeros((2, latent_dim), np.float32)
        axes[:reducer.components_.shape[0]] = reducer.components_
        return (reducer.mean_.astype(np.float32), axes,
                "Hover the plane: it decodes the code mean + the PCA inverse of the hovered point "
                "(mean + x PC1 + y PC2).")
    a, b = projection.params["dims"]
    axes = np.zeros((2, latent_dim), np.float32)
    axes[0, a] = axes[1, b] = 1.0
    origin = z.mean(0).astype(np.float32)
    origin[[a, b]] = 0.0
    if latent_dim == 2:
        return origin, axes, (f"Hover the plane: it decodes the hovered code ({latent_name(a)}, {latent_name(b)}) "
                              "itself.")
    return origin, axes, (f"Hover the plane: it decodes {latent_name(a)} and {latent_name(b)} at the hovered point "
                          "with every other dimension at the codes' mean.")


# ----------------------------------------------------------------------------------------------------- CSV export
def coordinates_csv(indices: np.ndarray, labels: np.ndarray, coords: np.ndarray, z: np.ndarray,
                    class_names: tuple[str, ...] = (), axes: tuple[str, str] = ("x", "y")) -> str:
    """One row per point: index (in the test split), label, its class name, the map's two coordinates named by
    axes (Projection.axes: PC1, PC2 or UMAP-1, UMAP-2), then the code z1..zd. A raw map's axes are code columns
    themselves, so they are written as map_z3, map_z7 beside them rather than under the same name twice."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    z = np.asarray(z)
    code_columns = [latent_name(j) for j in range(z.shape[1])]
    map_columns = [f"map_{name}" if name in code_columns else name for name in axes]
    writer.writerow(["index", "label", "class", *map_columns, *code_columns])
    for i, label, (x, y), code in zip(np.asarray(indices), np.asarray(labels), np.asarray(coords), z):
        name = class_names[label] if 0 <= label < len(class_names) else ("" if label < 0 else str(label))
        writer.writerow([int(i), int(label), name, f"{x:.6g}", f"{y:.6g}", *[f"{v:.6g}" for v in code]])
    return buffer.getvalue()
