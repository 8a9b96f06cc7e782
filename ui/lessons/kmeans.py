"""Lessons, section "k-means = AE": the code is which centroid (or how much of each), the decoder is the centroids."""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st
import torch

from aelab.lessons import basics as lessons
from aelab.lessons.bottleneck import SIZES
from ui.common import cache, present
from ui.common.view_state import Bound
from ui.common.widgets import PALETTE, show_grid
from ui.lessons.bottleneck import current_sweep
from ui.lessons.common import code_figure

TEMPERATURES = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
N_EXAMPLES = 4
INTRO = ("**k-means is an autoencoder** whose code is a one-hot vector $q$ (which of the $k$ centroids is nearest) "
         "and whose decoder is the table $P$ of centroids, one per row: the reconstruction is $qP$, the nearest "
         "centroid. For all images at once, $X \\approx QP$. **Soft k-means** replaces the one-hot code by "
         "responsibilities that sum to 1, so the reconstruction is a weighted mean of centroids; the temperature "
         "$T$ sets how soft (as $T \\to 0$ it is k-means again).")


@st.cache_resource(show_spinner="Fitting k-means and soft k-means...", max_entries=16)
def cached_lesson(identity: str, k: int, temperature: float, _x_train, _x_test) -> lessons.ClusterLesson:
    return lessons.cluster_lesson(_x_train, _x_test, k, temperature)


def autoencoder_error(dataset, k: int) -> float | None:
    """The MLP AE's test MSE at code size k from the bottleneck sweep (computed here or shipped), if there is one."""
    result, _ = current_sweep(dataset)
    if result is None or k not in result.sizes or "mlp_ae" not in result.test_mse:
        return None
    return result.test_mse["mlp_ae"][result.sizes.index(k)]


def render(view: Bound, dataset) -> None:
    st.subheader("k-means and soft k-means are autoencoders")
    present.intro(INTRO)
    sizes = [s for s in SIZES if s <= len(dataset.x_train)]
    if not sizes:
        st.info(f"{dataset.name} has too few training images for 2 centroids or more.")
        return
    with present.secondary("Formulas and settings"):
        st.latex(r"\text{k-means: } q_{ik} = [\,k = \arg\min_j \lVert x_i - p_j \rVert^2\,], \qquad \hat x_i = q_i P, "
                 r"\qquad X \approx Q P")
        st.latex(r"\text{soft k-means: } q_{ik} = \frac{\exp(-\lVert x_i - p_k \rVert^2 / T)}"
                 r"{\sum_j \exp(-\lVert x_i - p_j \rVert^2 / T)}")
        c1, c2 = st.columns(2)
        k = view.select_slider("kmeans_k", "Number of centroids k (the code size)", sizes, where=c1,
                               default=16 if 16 in sizes else sizes[-1], key="lessons_k")
        temperature = view.select_slider("kmeans_t", "Soft k-means temperature T", TEMPERATURES, where=c2,
                                         key="lessons_temperature",
                                         help="Squared distances between digits are tens of units: T of a few is "
                                              "soft.")
    lesson = cached_lesson(cache.key(dataset=dataset), k, temperature, dataset.x_train, dataset.x_test)
    centroids, errors = present.picture_first()  # presenting, the centroids first
    with errors:
        _errors(dataset, lesson, k)
    ncol = min(k, 8 if present.presenting() else 16)  # presenting: fewer, larger tiles a row
    with centroids:
        st.markdown("**The decoders**: the centroids $P$, one image per code unit")
        with present.main_picture():
            scale = 3 if present.presenting() and k <= 32 else 2
            show_grid(lesson.kmeans.centroids.view(k, 1, *dataset.image_size), ncol=ncol, scale=scale,
                      caption=f"k-means: {k} centroids")
            show_grid(lesson.soft.centroids.view(k, 1, *dataset.image_size), ncol=ncol, scale=scale,
                      caption=f"soft k-means (T = {temperature:g}): {k} centroids")
    _examples(dataset, lesson)


def _errors(dataset, lesson: lessons.ClusterLesson, k: int) -> None:
    ae = autoencoder_error(dataset, k)
    rows = [("k-means", f"one-hot, {k} units ({math.log2(k):.1f} bits)", lesson.test_mse["k-means"]),
            ("soft k-means", f"{k} responsibilities summing to 1", lesson.test_mse["soft k-means"]),
            ("PCA", f"{k} real numbers", lesson.test_mse.get("PCA")),
            ("MLP autoencoder", f"{k} real numbers", ae)]
    table = pd.DataFrame(rows, columns=["method", "code", "test MSE per pixel"])
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"test MSE per pixel": st.column_config.NumberColumn(format="%.5f")})
    st.caption("Same code length, very different information: a one-hot code names one of k prototypes, "
               "so k-means pays for its simplicity in error. "
               + ("" if ae is not None else "The MLP AE's error comes from the bottleneck sweep: run it for this "
                                            "dataset in *Bottleneck size* to fill that row."))


def _examples(dataset, lesson: lessons.ClusterLesson) -> None:
    x = dataset.x_test[:N_EXAMPLES]
    with torch.no_grad():
        hard, soft = lesson.kmeans.encode(x), lesson.soft.encode(x)
        hard_x, soft_x = lesson.kmeans.decode(hard).clamp(0, 1), lesson.soft.decode(soft).clamp(0, 1)
    st.markdown("**Codes and reconstructions** of a few test images")
    header = st.columns([1, 3, 1, 3, 1])
    for column, title in zip(header, ["input", "k-means code q", "qP", "soft k-means code q", "qP"]):
        column.caption(title)
    for i in range(N_EXAMPLES):
        cols = st.columns([1, 3, 1, 3, 1], vertical_alignment="center")
        with cols[0]:
            show_grid(x[i:i + 1], scale=3)
        cols[1].plotly_chart(code_figure(hard[i], PALETTE[0]), key=f"lessons_hard_code_{i}")
        with cols[2]:
            show_grid(hard_x[i:i + 1], scale=3)
        cols[3].plotly_chart(code_figure(soft[i], PALETTE[2]), key=f"lessons_soft_code_{i}")
        with cols[4]:
            show_grid(soft_x[i:i + 1], scale=3)
    st.caption(f"Each k-means code has exactly one 1 (sums: {', '.join(f'{v:.0f}' for v in hard.sum(1))}); "
               f"each soft code sums to 1 (sums: {', '.join(f'{v:.3f}' for v in soft.sum(1))}), and its largest "
               f"responsibility is {', '.join(f'{v:.2f}' for v in soft.max(1).values)}.")
