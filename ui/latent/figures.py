"""Plotly figures of the latent space (no streamlit): the labelled scatter with what can lie under and over it, and
the VAE's KL per dimension.

Trace order in the scatter is part of its contract with the page, which reads selections by curve number:
[optional clickable plane grid] + one scatter trace (SVG; WebGL for large maps) per class + [marks].
ScatterFigure.point_indices[c] maps the point_index of curve c to the dataset index (None for a trace that is not
data).
"""
from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from aelab.analysis.images import png_bytes
from aelab.analysis.latent import latent_name
from ui.common.widgets import class_name, label_colour

# Plotly's modebar: keep it, with its camera button making a 2x PNG named after the page; no Plotly logo.
CHART_CONFIG = {"displaylogo": False, "displayModeBar": True,
                "toImageButtonOptions": {"format": "png", "filename": "aelab_latent_space", "scale": 2}}


@dataclass
class Mark:
    """One highlighted position over the scatter (a drawn digit, a clicked spot)."""

    x: float
    y: float
    name: str
    symbol: str = "star"
    colour: str = "#000000"
    size: int = 20


@dataclass
class ScatterFigure:
    figure: go.Figure
    point_indices: list[np.ndarray | None] = field(default_factory=list)  # per curve: dataset index of each point
    grid_curve: int | None = None  # the clickable plane grid's curve number, if any


SVG_MAX_POINTS = 3000  # more points than this are drawn with WebGL (Scattergl)


def ui_revision(*parts: object) -> str:
    """Plotly's uirevision for a map of these parts: a short digest, because the parts hold the cache identity (the
    session id of a private upload or model), which the browser has no reason to see."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16]


def data_uri(image: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")


def scatter_figure(coords: np.ndarray, labels: np.ndarray, indices: np.ndarray, class_names: Sequence[str],
                   axis_titles: tuple[str, str], *, revision: str, height: int = 560,
                   manifold: tuple[np.ndarray, tuple[float, float, float, float]] | None = None,
                   plane_grid: tuple[np.ndarray, np.ndarray] | None = None,
                   marks: Sequence[Mark] = (), selected: Sequence[int] = (), webgl: bool = True) -> ScatterFigure:
    """coords (N, 2) of the points with labels (N,) (-1: unlabelled) and their dataset indices (N,).

    manifold: (uint8 picture, (x0, x1, y0, y1)) drawn under the points, aligned to the axes.
    plane_grid: (xs, ys) of invisible points under everything, so a click on empty plane still selects something
    (Plotly reports clicks only on points). revision: Plotly's uirevision, so zoom and hidden classes survive reruns
    of the same map and reset when the map changes. selected: dataset indices shown selected (the others dimmed), as
    Plotly shows a selection made on the chart. webgl=False (a browser that said it has none) draws SVG only."""
    fig = go.Figure()
    point_indices: list[np.ndarray | None] = []
    grid_curve = None
    n_points = len(coords) + (len(plane_grid[0]) if plane_grid is not None else 0)
    # WebGL only where SVG would be slow: a browser's first WebGL context costs ~1 s without a GPU (software GL,
    # measured in Chromium on 2 cores), and SVG draws a few thousand points as fast. Clicks and lassos work in both.
    points_trace = go.Scattergl if webgl and n_points > SVG_MAX_POINTS else go.Scatter
    if plane_grid is not None:
        grid_curve = 0
        fig.add_trace(points_trace(
            x=plane_grid[0], y=plane_grid[1], mode="markers", name="latent plane", showlegend=False,
            marker={"size": 9, "opacity": 0, "color": "#000000"}, hovertemplate="decode z = (%{x:.2f}, %{y:.2f})"
            "<extra></extra>", selected={"marker": {"opacity": 0}}, unselected={"marker": {"opacity": 0}}))
        point_indices.append(None)
    labels = np.asarray(labels)
    chosen = np.isin(indices, np.asarray(list(selected), dtype=np.int64)) if len(selected) else None
    for label in sorted(set(labels.tolist())):
        keep = np.flatnonzero(labels == label)
        name = class_name(class_names, int(label))
        fig.add_trace(points_trace(
            x=coords[keep, 0], y=coords[keep, 1], mode="markers", name=name, customdata=indices[keep],
            marker={"size": 6, "color": label_colour(int(label)), "opacity": 0.85, "line": {"width": 0}},
            hovertemplate=f"label {name}<br>index %{{customdata}}<extra></extra>",
            selectedpoints=None if chosen is None else np.flatnonzero(chosen[keep]).tolist()))
        point_indices.append(np.asarray(indices[keep]))
    for mark in marks:
        fig.add_trace(go.Scatter(
            x=[mark.x], y=[mark.y], mode="markers", name=mark.name,
            marker={"symbol": mark.symbol, "size": mark.size, "color": mark.colour,
                    "line": {"width": 1.5, "color": "#FFFFFF"}},
            hovertemplate=f"{mark.name}<extra></extra>"))
        point_indices.append(None)
    if manifold is not None:
        picture, (x0, x1, y0, y1) = manifold
        # Dark ink on white, faint: the coloured points must stay readable on top of it.
        fig.add_layout_image(source=data_uri(255 - picture), xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0,
                             sizey=y1 - y0, sizing="stretch", layer="below", opacity=0.5)
    fig.update_layout(
        # t=36: room for Plotly's toolbar above the legend, whose title it would otherwise cover
        height=height, margin={"l": 10, "r": 10, "t": 36, "b": 10}, uirevision=revision, hovermode="closest",
        xaxis_title=axis_titles[0], yaxis_title=axis_titles[1], plot_bgcolor="#FFFFFF",
        legend={"title": {"text": "label"}, "itemsizing": "constant"})
    fig.update_xaxes(showgrid=False, zeroline=False)
    fig.update_yaxes(showgrid=False, zeroline=False)
    if manifold is not None:  # a decoded grid is only readable with square pixels: 1 unit of x = 1 unit of y
        fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return ScatterFigure(fig, point_indices, grid_curve)


def kl_figure(kl: np.ndarray, threshold: float, height: int = 280) -> go.Figure:
    """Average KL per latent dimension, (latent_dim,) in nats: active units dark, collapsed ones grey."""
    kl = np.asarray(kl, dtype=float)
    colours = ["#332288" if value > threshold else "#BBBBBB" for value in kl]
    fig = go.Figure(go.Bar(x=[latent_name(j) for j in range(len(kl))], y=kl, marker_color=colours,
                           hovertemplate="%{x}: %{y:.3f} nats<extra></extra>"))
    fig.add_hline(y=threshold, line_dash="dot", line_color="#CC6677",
                  annotation_text=f"active above {threshold} nats", annotation_position="top right")
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, xaxis_title="latent dimension",
                      yaxis_title="KL(q(z_j|x) || N(0,1)), nats")
    return fig
