"""The Latent Space page's Streamlit helpers: cached codes and projections, and the page's sections (selection,
drawn digit, decoded manifold, VAE diagnostics, export). Figures are built in ui/latent_figures.py.

Caching. Codes, errors, KL and the decoded manifold are arrays: st.cache_data, keyed by a model id and a dataset id
(the heavy objects are passed as unhashed `_` arguments). A fitted PCA / UMAP is an object that places new codes (a
drawn digit), not just data: st.cache_data would pickle and unpickle a UMAP (its neighbour graph, megabytes) on every
rerun, so fitted projections live in one process-wide ProjectionStore (st.cache_resource), shared read-only.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
import torch

from aelab.drawing import DigitLayout, layout_like
from aelab.images import enlarge, to_uint8
from aelab.latent import (Projection, active_units, decode, encode_dataset, kl_per_dimension, manifold_grid,
                          neighbours, project_2d, reconstruction_errors)
from aelab.latent_maps import UMAP_DEFAULTS, plane_range, prior_cdf, prior_quantile, shipped_umap, tile_on_axes
from aelab.store import ModelRecord
from ui.state import UPLOAD_PREFIX, session_id
from ui.warmup import umap_warmup
from ui.widgets import class_name, show_grid

METHODS = {"pca": "PCA", "umap": "UMAP", "raw": "Two latent dimensions"}
KL_ACTIVE_THRESHOLD = 0.01  # nats, as aelab.latent.active_units
MAX_SHOWN = 48  # selected images drawn at once


# ------------------------------------------------------------------------------------------------------ identities
def model_id(record: ModelRecord, model_key: str) -> str:
    """A cache key naming this exact model: a session's model is private to it (two sessions may both have a model
    called "my_ae"), and a library model saved again under the same name is a new model (its config's mtime)."""
    if model_key.startswith("session/"):
        return f"{model_key}@{session_id()}#{id(record.model)}"
    config = Path(record.path) / "config.json"
    return f"{model_key}@{config.stat().st_mtime_ns if config.exists() else 0}"


def dataset_id(dataset) -> str:
    return f"{dataset.name}@{session_id()}" if dataset.name.startswith(UPLOAD_PREFIX) else dataset.name


# ------------------------------------------------------------------------------------------------- cached arrays
@st.cache_data(show_spinner="Encoding the test images...", max_entries=32)
def test_codes(model_key: str, data_key: str, n: int, _record: ModelRecord, _dataset) -> np.ndarray:
    """Codes of the first n test images: (n, latent_dim) float32 (the posterior mean for a VAE)."""
    return encode_dataset(_record.model, _dataset.x_test[:n]).numpy()


@st.cache_data(show_spinner="Measuring reconstruction errors...", max_entries=32)
def test_errors(model_key: str, data_key: str, n: int, _record: ModelRecord, _dataset) -> np.ndarray:
    return reconstruction_errors(_record.model, _dataset.x_test[:n]).numpy()


@st.cache_data(show_spinner="Measuring KL per dimension...", max_entries=32)
def kl_dims(model_key: str, data_key: str, n: int, _record: ModelRecord, _dataset) -> np.ndarray | None:
    kl = kl_per_dimension(_record.model, _dataset.x_test[:n])
    return None if kl is None else kl.numpy()


@st.cache_data(show_spinner=False, max_entries=16)
def dataset_layout(data_key: str, _dataset) -> DigitLayout:
    """Where digits sit in this dataset's images (box size, centre of mass), for preprocessing drawings."""
    return layout_like(_dataset.x_train[:2000])


@st.cache_data(show_spinner="Decoding the latent plane...", max_entries=16)
def manifold_picture(model_key: str, dims: tuple[int, int], quantile_axes: bool, low: float, high: float, tiles: int,
                     _record: ModelRecord) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """The decoded manifold of a 2-latent model as one picture aligned to the plot's axes: an even grid over
    [low, high] in z, or, on prior-quantile axes, Kingma & Welling's grid (even in Phi(z), at Gaussian quantiles)."""
    plane = PlaneView(dims, quantile_axes)
    grid = manifold_grid(tiles, low, high, gaussian_quantiles=quantile_axes)
    images = decode(_record.model, plane.codes(*plane.to_plot(grid.numpy()).T))
    axis = plane.to_plot(grid[:tiles].numpy())[:, 0]
    return tile_on_axes(images, axis, axis)


@dataclass(frozen=True)
class PlaneView:
    """How a 2-latent model's plane is drawn: x = z[dims[0]], y = z[dims[1]], or, with quantile_axes (VAEs),
    Phi of those: the prior's quantiles, where N(0, 1) is uniform on the unit square."""

    dims: tuple[int, int]
    quantile_axes: bool = False

    def to_plot(self, xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, dtype=np.float64)
        return (prior_cdf(xy) if self.quantile_axes else xy).astype(np.float32)

    def codes(self, xs, ys) -> torch.Tensor:
        """Plot positions -> codes (N, 2)."""
        xs, ys = (prior_quantile(v) if self.quantile_axes else np.asarray(v) for v in (xs, ys))
        z = torch.zeros(len(xs), 2)
        z[:, self.dims[0]] = torch.as_tensor(np.asarray(xs, dtype=np.float32))
        z[:, self.dims[1]] = torch.as_tensor(np.asarray(ys, dtype=np.float32))
        return z

    def titles(self) -> tuple[str, str]:
        return tuple(f"Φ(z{d}): prior quantile" if self.quantile_axes else f"z{d}" for d in self.dims)


def plane_controls(record: ModelRecord, coords: np.ndarray, dims: tuple[int, int], model_key: str):
    """Toggles for a 2-latent model's plane; returns its PlaneView, the manifold picture (or None) and the invisible
    grid of clickable points that covers the plane."""
    left, right = st.columns(2)
    show = left.toggle("Decoded images under the points", value=True, key="show_manifold")
    quantiles = record.model_config.variational and right.toggle(
        "Prior-quantile axes (Kingma & Welling)", key="manifold_quantiles",
        help="Plot Φ(z) instead of z: the N(0, 1) prior becomes uniform on the unit square, and the decoded grid "
             "sits at Gaussian quantiles, each tile holding the same prior mass (Kingma & Welling 2014, Fig. 4). "
             "Codes that match the prior fill the square evenly.")
    plane = PlaneView(tuple(dims), bool(quantiles))
    low, high = (0.0, 1.0) if plane.quantile_axes else plane_range(coords)
    manifold = manifold_picture(model_key, plane.dims, plane.quantile_axes, *plane_range(coords), 16,
                                record) if show else None
    axis = np.linspace(low + 0.005 * (high - low), high - 0.005 * (high - low), 70)
    grid_x, grid_y = np.meshgrid(axis, axis)
    return plane, manifold, (grid_x.ravel(), grid_y.ravel())


# ----------------------------------------------------------------------------------------------------- projections
class ProjectionStore:
    """Fitted projections by (model, dataset, method, parameters, points), the most recent max_entries kept. One lock
    per key, so two sessions asking for the same UMAP fit it once and the second waits for the first."""

    def __init__(self, max_entries: int = 12):
        self.max_entries = max_entries
        self._items: OrderedDict[tuple, Projection] = OrderedDict()
        self._locks: dict[tuple, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: tuple) -> Projection | None:
        with self._guard:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def get_or_fit(self, key: tuple, fit) -> Projection:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            found = self.get(key)
            if found is not None:
                return found
            projection = fit()
            with self._guard:
                self._items[key] = projection
                while len(self._items) > self.max_entries:
                    old, _ = self._items.popitem(last=False)
                    self._locks.pop(old, None)
            return projection


@st.cache_resource(show_spinner=False)
def projection_store() -> ProjectionStore:
    return ProjectionStore()


@st.cache_data(show_spinner=False, max_entries=32)
def shipped_projection(model_path: str, data_name: str, n: int, n_neighbors: int, min_dist: float) -> Projection | None:
    return shipped_umap(model_path, data_name, n, n_neighbors, min_dist)


def projection_for(method: str, params: dict[str, Any], z: np.ndarray, ids: tuple[str, str], record: ModelRecord,
                   data_name: str) -> Projection:
    """The 2-D map of codes z: raw axes at once; PCA and UMAP from the store; the default UMAP of a model that ships
    one from its cache/ folder (unless this server has fitted it already: then new points are placed exactly)."""
    if method == "raw":
        return project_2d(z, "raw", dims=params["dims"])
    key = (*ids, method, tuple(sorted(params.items())), len(z))
    fitted = projection_store().get(key)
    if fitted is not None:
        return fitted
    if method == "umap" and Path(record.path).is_dir():
        shipped = shipped_projection(str(record.path), data_name, len(z), params["n_neighbors"], params["min_dist"])
        if shipped is not None:
            return shipped
    message = f"Fitting {METHODS[method]} to {len(z):,} codes..."
    warmup = umap_warmup()
    if method == "umap":
        message += (f" ({warmup.describe()}; this fit waits for it.)" if warmup and not warmup.done else
                    " (a fresh server's first UMAP compiles numba code: up to ~30 s; later fits take seconds.)"
                    if warmup is None else "")
    with st.spinner(message, show_time=True):
        return projection_store().get_or_fit(key, lambda: project_2d(z, method, **params, seed=UMAP_DEFAULTS["seed"]))


# -------------------------------------------------------------------------------------------------------- sections
def crisp(image: torch.Tensor, pixels: int) -> np.ndarray:
    """One (H, W) image in [0, 1] enlarged by whole pixels to about pixels wide (a browser would blur it)."""
    return enlarge(to_uint8(image), max(1, round(pixels / image.shape[-1])))


def selection_from(event, grid_curve: int | None) -> tuple[list[int], tuple[float, float] | None]:
    """The dataset indices of the selected data points (in selection order, no repeats) and, if the click hit the
    invisible plane grid and no data point, the (x, y) clicked. Data points carry their index as customdata."""
    indices, plane_click = [], None
    for point in (event.selection.points if event is not None else []):
        custom = point.get("customdata")
        if custom is not None:
            index = int(custom[0] if isinstance(custom, (list, tuple)) else custom)
            if index not in indices:
                indices.append(index)
        elif point.get("curve_number") == grid_curve and grid_curve is not None:
            plane_click = (float(point["x"]), float(point["y"]))
    return indices, (plane_click if not indices else None)


def show_selection(indices: list[int], z: np.ndarray, dataset, record: ModelRecord, k: int = 8) -> None:
    """Selected originals over their reconstructions; for a single point, its k nearest codes with distances."""
    labels = dataset.y_test.numpy()
    if len(indices) == 1:
        index = indices[0]
        st.markdown(f"**Point #{index}** (label {class_name(dataset.class_names, int(labels[index]))})")
        x = dataset.x_test[index:index + 1]
        recon = decode(record.model, torch.from_numpy(z[index:index + 1]))
        st.image([crisp(x[0, 0], 112), crisp(recon[0, 0], 112)], caption=["original", "reconstruction"])
        near, dist = neighbours(torch.from_numpy(z), torch.from_numpy(z[index:index + 1]), k=k, exclude_self=True)
        near, dist = near[0].tolist(), dist[0].tolist()
        st.markdown(f"Its {len(near)} nearest codes (Euclidean distance in the {z.shape[1]}-D latent space):")
        st.image([crisp(dataset.x_test[j, 0], 56) for j in near],
                 caption=[f"#{j} ({class_name(dataset.class_names, int(labels[j]))}) d={d:.2f}"
                          for j, d in zip(near, dist)])
        return
    shown = indices[:MAX_SHOWN]
    counts = np.bincount(labels[indices].clip(min=0), minlength=1)
    summary = ", ".join(f"{class_name(dataset.class_names, c)}: {n}" for c, n in enumerate(counts) if n)
    st.markdown(f"**{len(indices)} points selected** ({summary})" +
                (f"; the first {MAX_SHOWN} are shown." if len(indices) > MAX_SHOWN else "."))
    originals = dataset.x_test[shown]
    recons = decode(record.model, torch.from_numpy(z[shown]))
    left, right = st.columns(2)
    with left:
        show_grid(originals, ncol=8, scale=2, caption="originals")
    with right:
        show_grid(recons, ncol=8, scale=2, caption="reconstructions")


def show_plane_click(record: ModelRecord, xy: tuple[float, float], plane: PlaneView) -> None:
    code = plane.codes([xy[0]], [xy[1]])
    image = decode(record.model, code)
    shown = code[0, list(plane.dims)].tolist()
    st.markdown(f"**Decoded from z{plane.dims[0]} = {shown[0]:.2f}, z{plane.dims[1]} = {shown[1]:.2f}**, a point "
                "of the plane with no image of its own:")
    st.image(crisp(image[0, 0], 140), caption="decoded at the clicked point")


def vae_diagnostics(kl: np.ndarray | None, record: ModelRecord) -> None:
    st.subheader("VAE diagnostics")
    if kl is None:
        st.info(f"{record.name} is a deterministic autoencoder: its encoder gives each image one code, not a "
                "distribution, so there is no KL to the prior to measure. Choose a VAE (vae, vae-2d) in the "
                "sidebar to see which latent dimensions it uses.")
        return
    from ui.latent_figures import kl_figure

    active = active_units(torch.from_numpy(kl), KL_ACTIVE_THRESHOLD)
    st.metric("Active units", f"{active} of {len(kl)}", help=f"dimensions whose average KL exceeds "
              f"{KL_ACTIVE_THRESHOLD} nats")
    st.plotly_chart(kl_figure(kl, KL_ACTIVE_THRESHOLD), key="kl_chart")
    st.markdown(
        "Each bar is how far that dimension's posterior q(z_j|x), averaged over the test images, is from the prior "
        "N(0, 1). A **collapsed** dimension (KL near 0) has the same posterior for every image: it carries no "
        "information, the decoder learns to ignore it, and moving along it changes nothing, so every point "
        "decodes to the same image along that axis. The KL term pushes unneeded dimensions there; the active ones "
        "are the model's real code size.")


def show_drawn(x_in: torch.Tensor, z_in: np.ndarray, z: np.ndarray, errors: np.ndarray, dataset,
               record: ModelRecord, placement: str | None, k: int = 6) -> None:
    """The drawing as the model sees it, its reconstruction, how unusual its error is, and its nearest codes."""
    recon = decode(record.model, torch.from_numpy(z_in))
    error = float((recon - x_in).pow(2).mean())
    percentile = float((errors < error).mean() * 100)
    st.image([crisp(x_in[0, 0], 112), crisp(recon[0, 0], 112)], caption=["what the model sees", "its reconstruction"])
    verdict = ("typical for this model" if percentile < 75 else "unusual for this model" if percentile < 95
               else "very unusual: the model has seen little like it")
    st.markdown(f"**Reconstruction error {error:.4f}**: higher than **{percentile:.0f}%** of the {len(errors):,} "
                f"test images ({verdict}).")
    if placement:
        st.caption(placement)
    labels = dataset.y_test.numpy()
    near, dist = neighbours(torch.from_numpy(z), torch.from_numpy(z_in), k=k)
    st.markdown("Nearest test images in the latent space:")
    st.image([crisp(dataset.x_test[j, 0], 56) for j in near[0].tolist()],
             caption=[f"{class_name(dataset.class_names, int(labels[j]))} d={d:.2f}"
                      for j, d in zip(near[0].tolist(), dist[0].tolist())])


@st.cache_data(show_spinner=False, max_entries=16)
def _home_map(model_key: str, data_key: str, _record: ModelRecord, _dataset) -> tuple[np.ndarray, np.ndarray]:
    z = test_codes(model_key, data_key, min(500, len(_dataset.x_test)), _record, _dataset)
    return project_2d(z, "pca").coords, _dataset.y_test[:len(z)].numpy()


def draw_home_card() -> None:
    """The home page's picture: a small PCA map of 500 test codes of the current model, coloured by label."""
    from ui.latent_figures import scatter_figure
    from ui.state import current_dataset, current_model

    record, dataset = current_model(), current_dataset()
    if record is None:
        return
    coords, labels = _home_map(model_id(record, st.session_state["model_key"]), dataset_id(dataset), record, dataset)
    figure = scatter_figure(coords, labels, np.arange(len(coords)), dataset.class_names, ("", ""),
                            revision="home", height=200).figure
    figure.update_layout(showlegend=False, xaxis_showticklabels=False, yaxis_showticklabels=False)
    st.plotly_chart(figure, key="home_latent_map", config={"displayModeBar": False, "staticPlot": True})
