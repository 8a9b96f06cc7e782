"""Lessons, section "What beta trades": each VAE as a point of rate (KL) against distortion (reconstruction), the
ELBO's two terms beside it, the selected point's KL per latent unit, and one more beta trained on demand.

The points: the dataset's shipped sweep (aelab.lessons.rate: mnist-5k's trained by build-lessons, shapes' the Factors
page's shipped beta-VAEs), every other VAE the Model list offers for this dataset (measured here, cached by their
weights), and the betas trained here (a background task; its numbers kept in the result store).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from aelab.lessons import rate as lesson
from aelab.lessons.rate import SHIPPED_MODELS, RatePoint, load_sweep, measure, trained_point
from aelab.library.store import list_models
from aelab.train.losses import ACTIVE_KL
from ui.common import cache, present
from ui.common.selection import loadable, model_choices, model_configs, session_models
from ui.common.session import session
from ui.common.view_state import Bound
from ui.common.widgets import PALETTE
from ui.lessons.common import may_have_shipped, show_task, start_task, stored, task_failed, task_running

SLOT = "rate"
STYLE = {  # source -> (trace name, marker symbol, colour)
    "shipped sweep": ("shipped beta sweep", "circle", PALETTE[0]),
    "library": ("models in the Model list", "diamond", PALETTE[2]),
    "trained here": ("trained here", "star", PALETTE[6]),
}
INTRO = ("A VAE's loss has two terms. The **rate** is how many nats its code carries about each image (the KL from "
         "the prior); the **distortion** is how many nats its reconstruction gets wrong. beta sets the exchange rate "
         "between them, so each beta lands somewhere on one curve: no setting is free.")
ELBO = (r"\begin{aligned} -\mathrm{ELBO} &= D + R \\ "
        r"D &= \mathbb{E}_{q(z\mid x)}\left[-\log p(x\mid z)\right] && \text{distortion} \\ "
        r"R &= \mathrm{KL}\left(q(z\mid x)\,\Vert\,\mathcal{N}(0, I)\right) && \text{rate} \\ "
        r"\mathcal{L}_\beta &= D + \beta\,R && \text{the loss} \end{aligned}")
TRADES = ("- **beta = 1**: the ELBO itself; training minimises D + R.\n"
          "- **beta < 1** buys sharper reconstructions (lower D) with a code that carries more and strays from the "
          "prior: random samples decode worse.\n"
          "- **beta > 1** buys a code nearer the prior, with fewer units in use (disentanglement, if any), and "
          "blurrier reconstructions; pushed too far, R falls to 0 and the decoder ignores the code (posterior "
          "collapse).")


@st.cache_data(show_spinner=False, max_entries=64)
def _measured(identity: str, _model, _x_test, name: str, beta: float) -> RatePoint:
    return measure(_model, _x_test, name, beta, source="library")


@st.cache_resource(show_spinner=False)
def _shipped(identity: str, dataset_name: str):
    """The shipped sweep (identity: the dataset's name and version)."""
    return load_sweep(dataset_name)


def shipped_points(dataset) -> list[RatePoint]:
    sweep = _shipped(cache.key(dataset=dataset), dataset.name) if may_have_shipped(dataset) else None
    return list(sweep.points) if sweep is not None else []


def library_points(dataset) -> tuple[list[RatePoint], int]:
    """Every VAE the Model list offers that was trained on this dataset, measured on its test images (the shipped
    sweep's own models left out), and how many conditional VAEs were left out: their label carries part of the
    image, so their rate is not comparable."""
    trained_on = {f"{info.source}/{info.name}": info.dataset for info in list_models()}
    trained_on.update({f"session/{name}": record.dataset for name, record in session_models().items()})
    sweep_models = {f"pretrained/{name}" for name in SHIPPED_MODELS.get(dataset.name, ())}
    vaes = [key for key, config in model_configs(dataset.image_size).items()
            if config.variational and trained_on.get(key) == dataset.name and key not in sweep_models]
    configs = model_configs(dataset.image_size)
    conditional = [key for key in vaes if configs[key].n_classes]
    records, _ = loadable([key for key in vaes if key not in conditional])  # one that fails is named elsewhere
    labels = {key: label for label, key in model_choices(dataset.image_size).items()}
    points = [_measured(cache.key(record, dataset), record.model, dataset.x_test, labels.get(key, key),
                        float(record.train_config.beta)) for key, record in records.items()]
    return points, len(conditional)


def trained_points(dataset) -> list[RatePoint]:
    return [point for point in (stored(dataset, *key) for key in session.rate_points) if point is not None]


def rate_figure(points: list[RatePoint], selected: str | None, height: int) -> go.Figure:
    """Rate (x) against distortion (y), one trace per source; the shipped sweep joined in order of beta, each point
    labelled with its beta; the selected point ringed; the dotted line of equal -ELBO through the best point."""
    fig = go.Figure()
    for source, (name, symbol, colour) in STYLE.items():
        mine = sorted((p for p in points if p.source == source), key=lambda p: (p.beta, p.name))
        if not mine:
            continue
        fig.add_scatter(x=[p.rate for p in mine], y=[p.distortion for p in mine], name=name,
                        mode="lines+markers+text" if source == "shipped sweep" else "markers+text",
                        text=[_label(p) for p in mine], textposition="top right",
                        marker={"size": 13, "symbol": symbol, "color": colour}, line={"color": colour},
                        customdata=[p.name for p in mine],
                        hovertemplate="%{customdata}: rate %{x:.2f}, distortion %{y:.2f} nats<extra></extra>")
    best = min(points, key=lambda p: p.neg_elbo)
    span = np.array([0.0, max(p.rate for p in points) * 1.08 + 1])
    fig.add_scatter(x=span, y=best.neg_elbo - span, mode="lines", name=f"D + R = {best.neg_elbo:.1f} (best -ELBO)",
                    line={"color": "#6e6e6e", "dash": "dot"}, hoverinfo="skip")
    chosen = next((p for p in points if p.name == selected), None)
    if chosen is not None:
        fig.add_scatter(x=[chosen.rate], y=[chosen.distortion], mode="markers", name=f"selected: {chosen.name}",
                        marker={"size": 26, "symbol": "circle-open", "color": "#000000", "line": {"width": 3}},
                        hoverinfo="skip")
    low = min(p.distortion for p in points)
    high = max(p.distortion for p in points)
    pad = (high - low) * 0.08 + 1
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      xaxis={"title": "rate R: KL, nats per image", "rangemode": "tozero"},
                      yaxis={"title": "distortion D: nats per image", "range": [low - pad, high + pad]},
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0})
    return fig


def _label(point: RatePoint) -> str:
    """A point's label on the chart: its beta; a model of the Model list's name too (several have beta 1)."""
    if point.source == "library":
        return f"{point.name.split('  (')[0]}, β {point.beta:g}"
    return f"β {point.beta:g}"


def kl_figure(point: RatePoint, height: int) -> go.Figure:
    """The point's KL per latent unit, largest first, on a log axis with the active line at ACTIVE_KL nats."""
    kl = np.maximum(np.asarray(point.kl_per_dim), 1e-6)
    order = np.argsort(-kl, kind="stable")
    colours = [PALETTE[0] if kl[d] > ACTIVE_KL else "#BBBBBB" for d in order]
    fig = go.Figure(go.Bar(x=[f"z{d + 1}" for d in order], y=kl[order], marker_color=colours,
                           hovertemplate="%{x}: %{y:.3g} nats<extra></extra>"))
    fig.add_hline(y=ACTIVE_KL, line_dash="dash", line_color="#6e6e6e",
                  annotation_text=f"active: KL > {ACTIVE_KL:g} nats", annotation_position="top right")
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10}, showlegend=False,
                      xaxis={"title": "latent unit (largest KL first)", "type": "category"},
                      yaxis={"title": "KL, nats per image (log)", "type": "log"})
    return fig


def render(view: Bound, dataset) -> None:
    st.subheader("What beta trades: rate and distortion")
    present.intro(INTRO)
    library, conditional = library_points(dataset)
    points = shipped_points(dataset) + library + trained_points(dataset)
    names = [p.name for p in points]
    picture, beside = st.columns([3, 2], gap="medium")
    with beside:  # drawn first, so the chart rings the point chosen in this very run
        st.latex(ELBO)
        st.markdown(TRADES)
        chosen = _chosen(view, points, names) if points else None
    if chosen is None:
        picture.info(f"No VAE trained on {dataset.name} yet, and no shipped sweep for it (mnist-5k and shapes have "
                     "one): train one below, or on the Train page.", icon=":material/school:")
    else:
        with picture, present.main_picture():
            st.plotly_chart(rate_figure(points, chosen.name, present.chart_height(420, 400)),
                            key="lessons_rate_chart")
        _caption(dataset, points, conditional)
        _kl_bars(chosen)
    _train_one(view, dataset)


def _caption(dataset, points: list[RatePoint], conditional: int) -> None:
    shipped = [p for p in points if p.source == "shipped sweep"]
    recipe = (f"shipped sweep: {len(shipped)} VAEs" + (f", {shipped[0].epochs} epochs each" if shipped and
                                                        shipped[0].epochs else "") if shipped else "no shipped sweep")
    left_out = (f" {conditional} conditional VAE{'s' * (conditional != 1)} left out: the label carries part of "
                "the image, so the rate is not comparable." if conditional else "")
    st.caption(f"Each point: one VAE measured on {points[0].n_images:,} {dataset.name} test images ({recipe}). "
               "Distortion is the Bernoulli negative log-likelihood (BCE) with one z drawn per image, whatever loss "
               f"a model was trained with; the dotted line holds every point with the best point's D + R.{left_out}")


def _chosen(view: Bound, points: list[RatePoint], names: list[str]) -> RatePoint:
    """The point whose KL per unit is drawn (the shipped beta 1 at first), picked by name."""
    default = next((p.name for p in points if p.source == "shipped sweep" and p.beta == 1.0), names[0])
    name = view.selectbox("rate_point", "Point", names, key="lessons_rate_point", default=default,
                          help="Its KL per latent unit is drawn below the chart, where it is ringed.")
    return points[names.index(name)]


def _kl_bars(point: RatePoint) -> None:
    """The chosen point's KL per latent unit and its active units."""
    left, right = st.columns([1, 4], vertical_alignment="center")
    left.metric("Active units", f"{point.active_units} of {len(point.kl_per_dim)}",
                help=f"Latent units whose mean KL is above {ACTIVE_KL:g} nats: the ones the code uses.")
    left.metric("Rate R", f"{point.rate:.2f} nats")
    left.metric("Distortion D", f"{point.distortion:.1f} nats")
    with right:
        st.plotly_chart(kl_figure(point, 300), key="lessons_rate_kl")


def _train_one(view: Bound, dataset) -> None:
    """One more beta, trained here with the shipped sweep's recipe."""
    beta = float(view.number_input("rate_beta", "beta to train", 0.01, 100.0, where=st.columns(3)[0],
                                   key="lessons_rate_beta", step=0.5, format="%.2f",
                                   help="The KL weight of one more VAE, trained on this dataset's training images."))
    epochs = lesson.SWEEP_EPOCHS  # (read when drawn: a test may shorten the recipe)
    key = ("rate-point", (beta, epochs))
    if stored(dataset, *key) is not None:
        st.caption(f"beta {beta:g} is on the chart (trained here).")
        return

    running = task_running(SLOT)
    if st.button(f"Train a VAE with beta = {beta:g} here", key="lessons_rate_train", disabled=running,
                 icon=":material/add_chart:",
                 help=f"The shipped sweep's recipe: the Train page's VAE, {epochs} epochs on the "
                      f"{len(dataset.x_train):,} training images (one to two minutes on a CPU), then measured "
                      "here."):
        start_task(SLOT, f"VAE, beta {beta:g}", dataset, key,
                   lambda on_progress, should_stop: trained_point(dataset, beta, epochs, on_progress,
                                                                  should_stop))
        if key not in session.rate_points:  # the task stores its point under this key when it ends
            session.rate_points.append(key)
        running = True
    if running or task_failed(SLOT):
        show_task(SLOT)
