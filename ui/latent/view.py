"""The Latent Space page's Streamlit helpers: cached codes and projections, the map's controls, the 2-latent plane.
The sections under the map (selection, drawn digit, VAE diagnostics) are in ui/latent/sections.py, figures in
ui/latent/figures.py.

Caching. Codes, errors, KL and the decoded manifold are arrays: st.cache_data, keyed by the cache identity of the
model and the dataset (ui.common.cache; the heavy objects are passed as unhashed `_` arguments). A fitted PCA / UMAP
is an object that places new codes (a drawn digit), not just data: st.cache_data would pickle and unpickle a UMAP
(its neighbour graph, megabytes) on every rerun, so fitted projections live in the process-wide result store, shared
read-only.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
import torch

from aelab.analysis.latent import (
    Projection,
    decode,
    dimension_importance,
    encode_dataset,
    importance_order,
    kl_per_dimension,
    latent_name,
    project_2d,
    reconstruction_errors,
)
from aelab.analysis.maps import UMAP_DEFAULTS, plane_range, prior_cdf, prior_quantile, shipped_umap, tile_on_axes
from aelab.analysis.paths import manifold_grid
from aelab.data.drawing import DigitLayout, layout_like
from aelab.library.store import ModelRecord
from aelab.runtime.warmup import umap_step
from ui.common import cache
from ui.common.view_state import Bound
from ui.common.warmup import umap_warmup

METHODS = {"pca": "PCA", "umap": "UMAP", "raw": "Two latent dimensions"}
SPLITS = {"test": "Test images", "all": "Test and training images"}  # what the map draws (test first, then train)
_ALL_IMAGES_KEY = "latent_all_images"  # a session's own data with its training images appended (never shared)


@st.cache_resource(show_spinner=False, max_entries=2)
def _with_training_images(identity: str, _dataset):
    return _appended(_dataset)


def _appended(dataset):
    """The dataset whose "test" images are its test images followed by its training images (every image on one
    map: 70,000 for MNIST), under its own data identity; its training split is left as it was."""
    return dataclasses.replace(dataset, x_test=torch.cat([dataset.x_test, dataset.x_train]),
                               y_test=torch.cat([dataset.y_test, dataset.y_train]),
                               identity=f"{dataset.identity}+train", factors=None)


def map_dataset(dataset, split: str):
    """The images the map draws as the dataset's test split: the test images, or ("all") test then training images.
    A named source's is kept for every session; a session's own data only in that session."""
    if split != "all" or len(dataset.x_train) == 0:
        return dataset
    if dataset.named_source:
        return _with_training_images(dataset.identity, dataset)
    kept = st.session_state.get(_ALL_IMAGES_KEY)
    if kept is None or kept[0] != dataset.identity:
        kept = (dataset.identity, _appended(dataset))
        st.session_state[_ALL_IMAGES_KEY] = kept
    return kept[1]


# ------------------------------------------------------------------------------------------------- cached arrays
@st.cache_data(show_spinner="Encoding the test images...", max_entries=32)
def test_codes(identity: str, n: int, _record: ModelRecord, _dataset) -> np.ndarray:
    """Codes of the first n test images: (n, latent_dim) float32 (the posterior mean for a VAE)."""
    return encode_dataset(_record.model, _dataset.x_test[:n]).numpy()


@st.cache_data(show_spinner="Measuring reconstruction errors...", max_entries=32)
def test_errors(identity: str, n: int, _record: ModelRecord, _dataset) -> np.ndarray:
    return reconstruction_errors(_record.model, _dataset.x_test[:n]).numpy()


@st.cache_data(show_spinner="Measuring KL per dimension...", max_entries=32)
def kl_dims(identity: str, n: int, _record: ModelRecord, _dataset) -> np.ndarray | None:
    kl = kl_per_dimension(_record.model, _dataset.x_test[:n])
    return None if kl is None else kl.numpy()


@st.cache_data(show_spinner=False, max_entries=16)
def dataset_layout(identity: str, _dataset) -> DigitLayout:
    """Where digits sit in this dataset's images (box size, centre of mass), for preprocessing drawings."""
    return layout_like(_dataset.x_train[:2000])


@st.cache_data(show_spinner="Decoding the latent plane...", max_entries=16)
def manifold_picture(identity: str, dims: tuple[int, int], quantile_axes: bool, low: float, high: float, tiles: int,
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
        return tuple(f"Φ({latent_name(d)}): prior quantile" if self.quantile_axes else latent_name(d)
                     for d in self.dims)


def plane_controls(view: Bound, record: ModelRecord, coords: np.ndarray, dims: tuple[int, int]):
    """Toggles for a 2-latent model's plane; returns its PlaneView, the manifold picture (or None) and the invisible
    grid of clickable points that covers the plane."""
    left, right = st.columns(2)
    show = view.toggle("manifold", "Decoded images under the points", where=left, key="show_manifold")
    quantiles = record.model_config.variational and view.toggle(
        "quantiles", "Prior-quantile axes (Kingma & Welling)", where=right, key="manifold_quantiles",
        help="Plot Φ(z) instead of z: the N(0, 1) prior becomes uniform on the unit square, and the decoded grid "
             "sits at Gaussian quantiles, each tile holding the same prior mass (Kingma & Welling 2014, Fig. 4). "
             "Codes that match the prior fill the square evenly.")
    plane = PlaneView(tuple(dims), bool(quantiles))
    low, high = (0.0, 1.0) if plane.quantile_axes else plane_range(coords)
    manifold = manifold_picture(cache.key(record), plane.dims, plane.quantile_axes, *plane_range(coords), 16,
                                record) if show else None
    axis = np.linspace(low + 0.005 * (high - low), high - 0.005 * (high - low), 70)
    grid_x, grid_y = np.meshgrid(axis, axis)
    return plane, manifold, (grid_x.ravel(), grid_y.ravel())


# ----------------------------------------------------------------------------------------------------- projections
@st.cache_data(show_spinner=False, max_entries=32)
def shipped_projection(identity: str, model_path: str, data_name: str, n: int, n_neighbors: int,
                       min_dist: float, data_identity: str, weights: str) -> Projection | None:
    """The UMAP saved in the model's folder, if it was made with these weights on this data: the artefact records
    the data identity and weights digest it was computed from, and a stale one is ignored (the map is fitted)."""
    return shipped_umap(model_path, data_name, n, n_neighbors, min_dist, data_identity=data_identity, weights=weights)


def projection_for(method: str, params: dict[str, Any], z: np.ndarray, record: ModelRecord, dataset) -> Projection:
    """The 2-D map of codes z: raw axes at once; PCA and UMAP from the result store; the default UMAP of a model that
    ships one from its cache/ folder (unless this server has fitted it already: then new points are placed exactly).
    A model trained a moment ago whose UMAP is still computed in the background shows PCA until it is ready."""
    if method == "raw":
        return project_2d(z, "raw", dims=params["dims"])
    identity, what, key = cache.identity(record, dataset), f"projection/{method}", (params, len(z))
    fitted = cache.result_store().get(identity, what, key)
    if fitted is not None:
        return fitted
    if method == "umap" and cache.map_pending(identity, key):
        st.caption("This model's UMAP is being computed in the background; PCA is shown until it is ready.")
        st.fragment(run_every=1.0)(_rerun_when_mapped)(identity, key)
        return projection_for("pca", {}, z, record, dataset)
    if method == "umap" and Path(record.path).is_dir() and dataset.named_source:
        shipped = shipped_projection(str(identity), str(record.path), dataset.name, len(z), params["n_neighbors"],
                                     params["min_dist"], identity.data, identity.weights)
        if shipped is not None:
            return shipped
    message = f"Fitting {METHODS[method]} to {len(z):,} codes..."
    warmup = umap_warmup()
    step = umap_step(len(z))
    if method == "umap" and (warmup is None or (step not in warmup.steps and not warmup.ready(step))):
        message += " (the first UMAP of this size in a server process compiles numba code: 20 s or more, a minute " \
                   "for 4,096 codes or more; later fits take seconds)"
    elif method == "umap" and not warmup.ready(step):
        message += f" ({warmup.describe()}: this fit waits for it)"
    with st.spinner(message, show_time=True):
        return cache.result_store().get_or_compute(
            identity, what, key, lambda: project_2d(z, method, **params, seed=UMAP_DEFAULTS["seed"]))


def _rerun_when_mapped(identity, key: tuple) -> None:
    """Polled while a background UMAP is computed: once it is ready, one full rerun draws it."""
    if not cache.map_pending(identity, key):
        st.rerun()


def map_controls(view: Bound, latent_dim: int, z: np.ndarray, kl: np.ndarray | None) -> tuple[str, dict]:
    """The map's method and its parameters: UMAP's n_neighbors / min_dist, or the two raw dimensions (by default
    the two the model uses most: highest KL for a VAE, highest variance otherwise; 0 and 1 for a 2-latent model).
    A model's natural map (raw for 2 latents, else PCA) is the default, so a new model starts on it unless a map
    was chosen."""
    umap_warmup()  # the first visit to this page may start compiling UMAP in the background (opt-in, lowest priority)
    methods = [m for m in METHODS if m != "raw" or latent_dim >= 2]
    unpin = lambda: view.set(pinned=None)  # noqa: E731 (a pinned point belongs to the map it was pinned on)
    method = view.radio("map", "Map", methods, key="latent_method", default="raw" if latent_dim == 2 else "pca",
                        format_func=METHODS.get, horizontal=True, on_change=unpin)
    if method == "pca":
        return method, {}
    left, right = st.columns(2)
    if method == "umap":
        params = {"n_neighbors": view.slider("neighbors", "n_neighbors", 2, 100, where=left, key="umap_neighbors",
                                             help="How many neighbours shape each point's place: small values keep "
                                                  "local detail, large ones the global layout."),
                  "min_dist": view.slider("min_dist", "min_dist", 0.0, 0.99, where=right, key="umap_min_dist",
                                          step=0.01, help="How tightly points may pack: 0 gives dense clumps.")}
        umap_status()
        return method, params
    scores = dimension_importance(torch.from_numpy(z), None if kl is None else torch.from_numpy(kl))
    order = [0, 1] if latent_dim == 2 else importance_order(scores)
    dims = view.value("dims", default=(order[0], order[1]),
                      check=lambda d: None if max(d) < latent_dim else f"names a dimension past z{latent_dim}")
    view.seed("dim_x", dims[0])
    view.seed("dim_y", dims[1])
    chosen = (left.selectbox("x axis: dimension", range(latent_dim), key="dim_x", format_func=latent_name,
                             on_change=unpin),
              right.selectbox("y axis: dimension", range(latent_dim), key="dim_y", format_func=latent_name,
                              on_change=unpin))
    view.put("dims", chosen, (order[0], order[1]))
    view.show("dims")
    return method, {"dims": chosen}


def umap_status() -> None:
    """Under the UMAP controls: whether this server has compiled UMAP yet (a new fit waits for that)."""
    warmup = umap_warmup()
    if warmup is not None:
        st.caption(f"{warmup.describe()}. The default map of a pretrained model is precomputed; other parameters "
                   "are fitted here (a few seconds once warm).")
