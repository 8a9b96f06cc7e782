"""Lessons, section "Bottleneck size": test error against code size for PCA, linear, MLP and conv AEs."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from aelab.lessons.bottleneck import METHOD_LABELS, SWEEP_METHODS, bottleneck_sweep, load_sweep, sweep_sizes
from ui.common import cache, present
from ui.common.view_state import Bound
from ui.common.widgets import PALETTE, show_grid
from ui.lessons.common import may_have_shipped, stored, task_button

INTRO = ("The code is the only road from input to output, so its size sets how much can get through. Each method "
         "below is trained at each code size and scored on the **test** images. Read the curves for: how fast "
         "error falls, where the nonlinear autoencoders beat PCA (small codes: they can bend the subspace into a "
         "curved surface), and where the linear AE meets PCA (it learns PCA's subspace).")
FORMULA = (r"\min_{f,\,g}\ \frac{1}{N p} \sum_{i=1}^{N} \lVert x_i - g(f(x_i)) \rVert^2, \quad "
           r"f: \mathbb{R}^p \to \mathbb{R}^d; \qquad \text{PCA (linear } f, g\text{): } "
           r"\frac{1}{p} \sum_{j > d} \lambda_j")


@st.cache_resource(show_spinner=False)
def shipped(identity: str, dataset_name: str):
    """The sweep `python -m aelab build-lessons` saved for this named dataset (identity: its name and version)."""
    return load_sweep(dataset_name)


def current_sweep(dataset):
    """(result, where it came from) for this dataset: computed here, else shipped, else (None, None)."""
    result = stored(dataset, "sweep")
    if result is not None:
        return result, "computed here"
    if may_have_shipped(dataset) and shipped(cache.key(dataset=dataset), dataset.name) is not None:
        return shipped(cache.key(dataset=dataset), dataset.name), "built by `python -m aelab build-lessons`"
    return None, None


def render(view: Bound, dataset) -> None:
    st.subheader("How big should the code be?")
    present.intro(INTRO)
    result, origin = current_sweep(dataset)
    sizes = sweep_sizes(dataset.image_size)

    def compute(on_progress, should_stop):
        return bottleneck_sweep(dataset, on_progress=on_progress, should_stop=should_stop)

    with present.secondary("The formula, and computing the sweep here"):
        st.latex(FORMULA)
        if not present.presenting():
            st.caption("The encoder f keeps d numbers of the p pixels; each method minimises the same squared error "
                       "over its family of f and g. PCA's minimum over linear maps is the variance of the "
                       "components it drops (λ_j: the eigenvalues of the pixels' covariance), so its curve falls as "
                       "fast as the spectrum does; a nonlinear autoencoder may go lower.")
        label = "Recompute" if result is not None else "Compute"
        task_button("sweep", f"{label} the sweep for {dataset.name} ({len(SWEEP_METHODS)} methods x {len(sizes)} "
                             "sizes)", "bottleneck sweep", dataset, ("sweep", ()), compute,
                    help="Several minutes on a CPU: 3 autoencoders trained at each size, a fixed number of steps "
                         "each.",
                    icon=":material/refresh:")
    if result is None:
        st.info(f"No sweep for {dataset.name} yet: compute it with the button above (it trains "
                f"{3 * len(sizes)} small models: several minutes on a CPU).")
        return
    with present.main_picture():
        st.plotly_chart(sweep_figure(result), key="lessons_sweep_chart")
    budget = ", ".join(f"{METHOD_LABELS[k]} {v['epochs']} epochs" for k, v in result.budget.items()
                       if v["variant"] != "pca")
    st.caption(f"Result {origin}: {result.n_train:,} training images, {budget}; {result.seconds:.0f} s to compute. "
               "The autoencoders are trained briefly and equally; longer training lowers their curves.")
    _reconstructions(view, result)


def sweep_figure(result) -> go.Figure:
    fig = go.Figure()
    for i, (name, errors) in enumerate(result.test_mse.items()):
        fig.add_scatter(x=result.sizes, y=errors, mode="lines+markers", name=METHOD_LABELS.get(name, name),
                        line={"color": PALETTE[i * 2 % len(PALETTE)]})
    fig.update_layout(height=present.chart_height(380, 375), margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      xaxis_title="code size",
                      yaxis_title="test MSE per pixel (log)", yaxis_type="log", legend={"orientation": "h", "y": 1.1})
    fig.update_xaxes(type="log", tickvals=result.sizes, ticktext=[str(s) for s in result.sizes])
    return fig


def _reconstructions(view: Bound, result) -> None:
    size = view.select_slider("sweep_size", "Reconstructions at code size", result.sizes, key="lessons_sweep_size",
                              default=result.sizes[len(result.sizes) // 2])
    i = result.sizes.index(size)
    rows = {"test images": result.examples} | {METHOD_LABELS.get(name, name): recons[i]
                                               for name, recons in result.reconstructions.items()}
    for label, images in rows.items():
        left, right = st.columns([1, 5], vertical_alignment="center")
        error = "" if label == "test images" else f"  \n{result.test_mse[_name(label)][i]:.4f}"
        left.markdown(f"**{label}**{error}")
        with right:
            show_grid(np.asarray(images, dtype=np.float32) / 255.0, ncol=len(images), scale=2)


def _name(label: str) -> str:
    return next(k for k, v in METHOD_LABELS.items() if v == label)
