"""Two background warm-ups of a server process: the imports later pages need (on by default), and UMAP's (opt-in).

The imports: after the first page a server draws, a daemon thread imports what other pages import lazily (pandas
and pyarrow, which Streamlit's tables and components import on first use; scikit-learn for the Lessons; the ONNX
exporter of the live decoder), ~1.5 s of one core that the first visit to each of those pages paid before (Latent
0.5 s for pandas alone, measured with bench/startup.py and py-spy). It starts only once someone has opened a page, so
an idle server spends nothing (bench/startup.py idle-cpu), and AELAB_WARM_IMPORTS=0 switches it off.

The UMAP warm-up, opt-in (AELAB_UMAP_WARMUP=1): on the first visit to the Latent Space page, compile UMAP's
small-map kernels in the background (aelab.runtime.warmup: bounded, lowest priority).

Off by default because it is unnecessary for the maps the app shows first (shipped models' maps are precomputed and
keyed by their identity; a model trained here gets its map in the background after its training) and because a thread of
the server's process holds the GIL while numba compiles: whatever its nice value, it slowed every page opened during
its ~25-40 s (measured with bench/startup.py: the Latent page of a fresh model 2.3 s -> 4 s). A map that is not
precomputed (an upload, other parameters) compiles on its own first fit, with a spinner saying so."""
from __future__ import annotations

import functools
import importlib
import os

import streamlit as st
from streamlit.runtime import Runtime

from aelab.runtime.warmup import Warmup, start_warmup

# Modules that pages import on first use, cheapest first; each import is a step (a failure stops the rest quietly).
WARM_MODULES = ("pandas", "pyarrow", "pandas.io.formats.style", "torch.onnx", "onnx", "sklearn.linear_model",
                "sklearn.cluster")
IMPORT_WARMUP_DELAY_S = 0.3  # the first page's pictures are fetched first

# Seconds between the first Latent Space visit and the compile: that page (and the next click) settle first. A map
# that needs UMAP before then compiles it itself, as it would without a warm-up.
WARMUP_DELAY_S = float(os.environ.get("AELAB_UMAP_WARMUP_DELAY", "5"))


def real_server() -> bool:
    """False under AppTest, which runs pages on a mocked Runtime: a 25 s UMAP compile (this warm-up, or the map
    computed after a training) in every test process would only slow the tests down (they use small subsets, the
    shipped projections, or a stand-in for the fit)."""
    return Runtime.exists() and type(Runtime.instance()) is Runtime


@st.cache_resource(show_spinner=False)
def umap_warmup() -> Warmup | None:
    """The process's UMAP warm-up (started on the first call), or None when off: unless AELAB_UMAP_WARMUP=1, and
    always under AppTest."""
    if os.environ.get("AELAB_UMAP_WARMUP", "0") != "1" or not real_server():
        return None
    return start_warmup("UMAP", delay_s=WARMUP_DELAY_S)


def build_a_plotly_figure() -> None:
    """Plotly's Python side loads a validator class per property on first use: the first figure of a process took
    ~0.1-0.3 s more than the next (measured on the Generate and Latent pages). One small figure of the trace types
    and layout properties the pages use loads most of them."""
    import plotly.graph_objects as go

    figure = go.Figure([go.Scatter(x=[0, 1], y=[0, 1], mode="lines+markers", marker={"size": 3, "color": "#000000"},
                                   line={"dash": "dash"}, customdata=[0, 1], hovertemplate="%{x}<extra></extra>"),
                        go.Scattergl(x=[0], y=[0], mode="markers", marker={"opacity": 0.5, "line": {"width": 0}}),
                        go.Bar(x=[0], y=[1]), go.Heatmap(z=[[0, 1]], colorscale="Viridis", showscale=False)])
    figure.update_layout(height=100, margin={"l": 0, "r": 0, "t": 0, "b": 0}, xaxis_title="x", yaxis_title="y",
                         legend={"orientation": "h"}, uirevision="warm", dragmode="lasso", showlegend=False)
    figure.add_layout_image(source="data:,", x=0, y=0, sizex=1, sizey=1, xref="x", yref="y")
    figure.to_json()


@st.cache_resource(show_spinner=False)
def import_warmup() -> Warmup | None:
    """The process's import warm-up (started on the first call, at the end of the first page run), or None when off
    (AELAB_WARM_IMPORTS=0, or under AppTest). At normal priority: a thread that imports holds the GIL, and a niced
    one would hold it longer while the pages wait for it."""
    if os.environ.get("AELAB_WARM_IMPORTS", "1") == "0" or not real_server():
        return None
    steps = [(name, functools.partial(importlib.import_module, name)) for name in WARM_MODULES]
    steps.append(("a Plotly figure", build_a_plotly_figure))
    return start_warmup("imports", steps, niceness=0, delay_s=IMPORT_WARMUP_DELAY_S)
