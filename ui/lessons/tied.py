"""Lessons, PCA section, second half: tied weights plus weight decay recover the principal components themselves."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from aelab.lessons import basics as lessons
from ui.common.widgets import PALETTE
from ui.lessons.common import bar_figure, stored, task_button

EXPLANATION = (
    "With **tied weights** the decoder is the encoder's transpose, and **weight decay** $\\lambda$ adds "
    "$\\tfrac{\\lambda}{2}\\lVert W \\rVert^2$ to the loss. The optimum is $W = O\\,\\Lambda\\,V_d^\\top$ with "
    "$\\Lambda_i^2 = 1 - \\lambda / (4 e_i)$, $e_i$ the variance along component $i$. The rotation $O$ is still "
    "free (the decay cannot see it: $\\lVert O W \\rVert = \\lVert W \\rVert$), so the rows of $W$ are still mixes; "
    "but each component now has **its own scale** $\\Lambda_i$, so the singular vectors of the learned $W$, "
    "ordered by singular value, are the components themselves (Kunin et al., ICML 2019). Without decay every "
    "$\\Lambda_i = 1$ and the SVD cannot tell the components apart.")


def tied_section(dataset, pca, plain_model, plain_source: str) -> None:
    st.subheader("Tied weights + weight decay: the components themselves")
    st.markdown(EXPLANATION)
    decay = lessons.tied_weight_decay(pca.explained_variance)
    d, n = pca.latent_dim, len(dataset.x_train)
    epochs = lessons.epochs_for_steps(lessons.TIED_DECAY_STEPS, n, lessons.TIED_DECAY_TRAIN["batch_size"])
    result_key = ("tied", (d, epochs))

    def compute(on_progress, should_stop):
        changes = {**lessons.TIED_DECAY_TRAIN, "weight_decay": decay, "epochs": epochs}
        return lessons.train_linear_ae(dataset.x_train, d, None, tied=True, train_changes=changes,
                                       on_progress=on_progress, should_stop=should_stop)[0]

    task_button("tied", f"Train the tied version (weight decay {decay:.3g}, {epochs} epochs)", "tied linear AE",
                dataset, result_key, compute, help=f"λ = 2 e_d: twice the variance along component {d}, the last one "
                                          "kept, so every kept direction keeps at least half its scale.")
    tied = stored(dataset, *result_key)
    plain_columns = lessons.decoder_columns(plain_model)
    series = {f"plain linear AE ({plain_source}): best-matching columns":
              lessons.match_columns(plain_columns, pca.components).abs_cos,
              "plain linear AE: singular vectors of its decoder": lessons.svd_directions(plain_columns,
                                                                                       pca.components).abs_cos}
    if tied is not None:
        tied_columns = lessons.decoder_columns(tied)
        alignment = lessons.svd_directions(tied_columns, pca.components)
        series["tied + weight decay: singular vectors of W"] = alignment.abs_cos
    st.plotly_chart(bar_figure(series, "principal component", "|cosine| with the component",
                               colours=["#BBBBBB", PALETTE[1], PALETTE[0]], y_range=[0, 1.05]),
                    key="lessons_tied_cosines")
    if tied is None:
        st.info("Train the tied version to add its bars: they reach 1 where the plain model's stay low.")
        return
    c1, c2, c3 = st.columns(3)
    c1.metric("Mean |cosine|, tied + decay (SVD)", f"{alignment.abs_cos.mean():.3f}")
    c2.metric("Mean |cosine|, plain (best match)", f"{series[next(iter(series))].mean():.3f}")
    c3.metric("Largest principal angle, tied", f"{lessons.subspace_angles(tied, pca).max():.2f}°")
    e = pca.explained_variance.numpy()
    if d > 1:
        i = int(np.argmin(e[:-1] / e[1:]))  # the closest pair of neighbouring variances
        st.caption(f"Components whose variances are nearly equal get nearly equal scales, and training noise can "
                   f"mix such a pair: here the closest are {i + 1} and {i + 2} (variances {e[i]:.3f} and "
                   f"{e[i + 1]:.3f}).")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(_singular_value_figure(alignment.singular_values,
                                               lessons.predicted_singular_values(pca.explained_variance, decay)),
                        key="lessons_singular_values")
    size = pca.config.image_size
    m = min(d, 16)
    basis = lessons.svd_basis(tied_columns, pca.components)[:m].reshape(m, *size)
    right.image(lessons.tile_grid(basis, scale=3), caption=f"Singular vectors of the tied W (first {m})")
    right.image(lessons.tile_grid(pca.components[:m].reshape(m, *size), scale=3),
                caption=f"Principal components (first {m})")


def _singular_value_figure(learned: np.ndarray, predicted) -> go.Figure:
    x = np.arange(1, len(learned) + 1)
    fig = go.Figure()
    fig.add_bar(x=x, y=learned, name="learned singular values of W", marker_color=PALETTE[0])
    fig.add_scatter(x=x, y=np.asarray(predicted), mode="markers", name="predicted √(1 − λ/4eᵢ)",
                    marker={"color": PALETTE[5], "size": 9, "symbol": "diamond"})
    fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 30, "b": 10}, xaxis_title="component",
                      yaxis_title="singular value", legend={"orientation": "h", "y": 1.15})
    return fig
