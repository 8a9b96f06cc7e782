"""Lessons, section "PCA = linear AE": a linear AE spans PCA's subspace; tied weights + weight decay pin the basis."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from aelab.errors import AelabError
from aelab.lessons import basics as lessons
from aelab.library.store import list_models
from aelab.models.autoencoder import create_model
from aelab.models.variants import make_configs
from aelab.train.evaluation import evaluate
from ui.common import cache, present
from ui.common.selection import load_model_key
from ui.common.view_state import Bound
from ui.common.widgets import PALETTE
from ui.lessons.common import bar_figure, stored, task_button
from ui.lessons.tied import tied_section

SIZES = (2, 4, 8, 16, 32, 64)
INTRO = ("A **linear autoencoder** (one matrix each way, squared error) is PCA in disguise: trained to convergence, "
         "its decoder spans the same subspace as the top *d* principal components (Baldi & Hornik, 1989). The "
         "**principal angles** between the two subspaces measure that without caring which basis each uses: all "
         "zero means the same subspace.")


@st.cache_resource(show_spinner="Fitting PCA...", max_entries=8)
def _full_pca(identity: str, latent_dim: int, _x_train: torch.Tensor) -> lessons.PCA:
    return lessons.fit_pca(_x_train, latent_dim)


def cached_pca(dataset, latent_dim: int, largest: int) -> lessons.PCA:
    """PCA with latent_dim components: the shipped pca model when it fits (no SVD on the first visit), else one fit
    with the largest size offered, truncated (the top components do not depend on how many are kept)."""
    try:
        record = load_model_key("pretrained/pca")
        if dataset.named_source and record.dataset == dataset.name and record.model_config.latent_dim == latent_dim:
            return record.model
    except (AelabError, KeyError):
        pass
    return lessons.truncate_pca(_full_pca(cache.key(dataset=dataset), largest, dataset.x_train), latent_dim)


@st.cache_data(show_spinner=False, max_entries=64)
def test_mse(identity: str, _model, _x_test: torch.Tensor) -> float:
    return evaluate(_model, _x_test)["mse"]


def _pretrained_linear(dataset, latent_dim: int) -> tuple[object, str] | tuple[None, None]:
    """(model, name) of a shipped linear AE trained on this dataset with this code size (linear_ae for mnist-5k,
    digits-linear_ae for the 8x8 digits), else (None, None)."""
    for info in list_models():
        if (dataset.named_source and info.source == "pretrained" and info.variant == "linear_ae"
                and info.dataset == dataset.name
                and info.latent_dim == latent_dim and tuple(info.image_size) == tuple(dataset.image_size)):
            try:
                return load_model_key(f"pretrained/{info.name}").model, info.name
            except AelabError:
                return None, None
    return None, None


def _formulas() -> None:
    left, right = st.columns(2)
    with left:
        st.markdown("**Tied linear AE**: one matrix $W$ ($d \\times$ pixels) encodes and its transpose decodes")
        st.latex(r"z = W x, \qquad \hat x = W^\top z = W^\top W x")
    with right:
        st.markdown("**PCA** from the SVD of the centred data $X$ (images as rows): the codes are $Z = XW$ with "
                    "$W = V_d$, the top $d$ right singular vectors")
        st.latex(r"X = U \Sigma V^\top, \qquad Z = X W = X V_d = U_d \Sigma_d")


def render(view: Bound, dataset) -> None:
    st.subheader("PCA is a linear autoencoder")
    present.intro(INTRO)
    # Below the pixel count (a code as large as the image is a copy: every angle trivially 0), and at most one
    # component per training image.
    sizes = [s for s in SIZES if s < dataset.x_train[0].numel() and s <= len(dataset.x_train)]
    if not sizes:
        st.info(f"{dataset.name} has too few images or pixels for a code of 2 numbers or more.")
        return
    with present.secondary("Formulas, code size and training"):
        _formulas()
        d_col, epochs_col = st.columns([3, 1], gap="large")
        d = view.select_slider("pca_d", "Code size d", sizes, where=d_col, key="lessons_pca_d",
                               default=16 if 16 in sizes else sizes[-1])
        n = len(dataset.x_train)
        epochs = int(view.number_input("pca_epochs", "Epochs", 1, 2000, where=epochs_col,
                                       default=lessons.epochs_for_steps(lessons.LINEAR_AE_STEPS, n, 128),
                                       key="lessons_pca_epochs", help="Defaults to about 1,300 steps of 128 images."))
        pca = cached_pca(dataset, d, sizes[-1])
        result_key = ("linear", (d, epochs))

        def compute(on_progress, should_stop):
            model, history = lessons.train_linear_ae(dataset.x_train, d, pca,
                                                     train_changes={**lessons.LINEAR_AE_TRAIN, "epochs": epochs},
                                                     on_progress=on_progress, should_stop=should_stop)
            return {"model": model, "history": history}

        task_button("linear", f"Train a linear AE with d = {d} here and watch the angles fall", "linear AE",
                    dataset, result_key, compute,
                    help="Seconds on mnist-5k; the angles are recorded after every epoch.")
    trained = stored(dataset, *result_key)
    model, name = (trained["model"], None) if trained else _pretrained_linear(dataset, d)
    if model is None:
        st.info(f"No linear AE with a {d}-number code for {dataset.name} yet: train one with the button above.")
        return
    source = "trained here" if trained else f"the pretrained {name}"
    _compare(model, pca, dataset, source, trained["history"] if trained else None)
    tied_section(dataset, pca, model, source)


def _compare(model, pca, dataset, source: str, history: list | None) -> None:
    angles = lessons.subspace_angles(model, pca).numpy()
    untrained = create_model(make_configs("linear_ae", dataset.image_size, {"latent_dim": pca.latent_dim})[0], 0)
    random_angles = lessons.subspace_angles(untrained, pca).numpy()
    chart, numbers = present.picture_first()  # presenting, the angles come first
    with numbers:
        st.caption(f"Linear AE: **{source}**. PCA fitted on the same {len(dataset.x_train):,} training images; "
                   f"errors on the {len(dataset.x_test):,} test images.")
        columns = st.columns(4)
        columns[0].metric("Linear AE test MSE",
                          f"{test_mse(cache.module_key(model, dataset), model, dataset.x_test):.5f}")
        columns[1].metric("PCA test MSE", f"{test_mse(cache.module_key(pca, dataset), pca, dataset.x_test):.5f}")
        columns[2].metric("Largest principal angle", f"{angles.max():.2f}°")
        columns[3].metric("Median principal angle", f"{np.median(angles):.2f}°",
                          help=f"An untrained linear AE: median {np.median(random_angles):.0f}°")
    with chart, present.main_picture():
        st.plotly_chart(bar_figure({f"linear AE ({source})": angles, "untrained linear AE": random_angles},
                                   "principal angle (smallest first)", "degrees", colours=[PALETTE[0], "#BBBBBB"],
                                   height=present.chart_height(300, 420)), key="lessons_angles")
    if history:
        st.plotly_chart(_history_figure(np.stack(history)), key="lessons_angle_history")
        st.caption("Each principal angle after each epoch (epoch 0: the random start). The last angles fall "
                   "slowest: they separate components whose variances are nearly equal.")
    _column_pictures(model, pca)


def _history_figure(history: np.ndarray) -> go.Figure:
    """history: (epochs + 1, d) angles in degrees -> one line per angle, log scale."""
    fig = go.Figure()
    for j in range(history.shape[1]):
        fig.add_scatter(x=np.arange(len(history)), y=np.maximum(history[:, j], 1e-3), mode="lines",
                        name=f"angle {j + 1}", line={"color": PALETTE[j % len(PALETTE)], "width": 1.5})
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 30, "b": 10}, xaxis_title="epoch",
                      yaxis_title="degrees (log)", yaxis_type="log", showlegend=False,
                      yaxis_tickvals=[0.1, 0.3, 1, 3, 10, 30, 90])
    return fig


def _column_pictures(model, pca) -> None:
    n = min(pca.latent_dim, 16)
    size = pca.config.image_size
    left, right = st.columns(2)
    left.image(lessons.tile_grid(lessons.decoder_columns(model).T[:n].reshape(n, *size), scale=3),
               caption=f"The linear AE's first {n} decoder columns")
    right.image(lessons.tile_grid(pca.components[:n].reshape(n, *size), scale=3),
                caption=f"The first {n} principal components")
    st.markdown("They **span the same space but are not the same images**. The loss only sees the product of the "
                "decoder and the encoder: for any invertible $d \\times d$ matrix $A$, the decoder $D A$ with the "
                "encoder $A^{-1} E$ reconstructs exactly as well, so training lands on *some* basis of the "
                "subspace, a mix of the components set by the random start. Blue is negative, orange positive, "
                "each tile scaled to its own largest weight.")
