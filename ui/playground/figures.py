"""Plotly figures of the Playground: points and reconstructions, the learned manifold beside PCA's line, the vector
field r(x) - x, codes along the curve, the encoder's gains, a VAE's posteriors. 2-D data in the plane, 3-D data in a
rotatable 3-D scatter. Inputs are the arrays of aelab.analysis.toy; nothing here computes a model."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from aelab.analysis.toy import Field, Gains, Posteriors

HEIGHT = 520
DATA_COLOUR, RECON_COLOUR, CLEAN_COLOUR, PCA_COLOUR = "#88CCEE", "#332288", "#999999", "#CC6677"
ARROW_COLOURS = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]  # viridis, short arrows to long
MAX_LINES = 400  # point-to-reconstruction lines drawn: more is a grey smear


def _scatter(points: np.ndarray, **kwargs) -> go.Scatter | go.Scatter3d:
    if points.shape[1] == 3:
        marker = dict(kwargs.pop("marker", {}))
        marker["size"] = max(2, marker.get("size", 6) // 2)
        return go.Scatter3d(x=points[:, 0], y=points[:, 1], z=points[:, 2], marker=marker, **kwargs)
    return go.Scattergl(x=points[:, 0], y=points[:, 1], **kwargs) if len(points) > 2000 else go.Scatter(
        x=points[:, 0], y=points[:, 1], **kwargs)


def _segments(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Line segments as one polyline broken by NaNs (one trace instead of one per segment): (3 S, D)."""
    gap = np.full_like(starts, np.nan)
    return np.stack([starts, ends, gap], 1).reshape(-1, starts.shape[1])


def _layout(fig: go.Figure, title: str, dim: int, ranges=None) -> go.Figure:
    fig.update_layout(title=title, height=HEIGHT, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      legend={"orientation": "h", "y": -0.05})
    if dim == 2:
        fig.update_yaxes(scaleanchor="x", scaleratio=1)  # a circle must look round
        if ranges is not None:
            fig.update_xaxes(range=ranges[0])
            fig.update_yaxes(range=ranges[1])
    else:
        fig.update_layout(scene={"aspectmode": "data"})
    return fig


def plane_ranges(points: np.ndarray, margin: float = 0.4):
    """Fixed axes around the data, so frames of a training do not rescale."""
    low, high = points.min(0), points.max(0)
    pad = (high - low) * margin
    return [(float(low[0] - pad[0]), float(high[0] + pad[0])), (float(low[1] - pad[1]), float(high[1] + pad[1]))]


def data_figure(points: np.ndarray, recon: np.ndarray | None = None, codes: np.ndarray | None = None,
                title: str = "Data") -> go.Figure:
    """The points, coloured by their code z1 when codes are given; each reconstruction joined to its point."""
    fig = go.Figure()
    marker = {"size": 6, "color": DATA_COLOUR, "opacity": 0.8}
    if codes is not None:
        marker.update(color=codes[:, 0], colorscale="Viridis", colorbar={"title": "code z1", "thickness": 12})
    if recon is not None:
        shown = slice(0, min(MAX_LINES, len(points)))
        lines = _segments(points[shown], recon[shown])
        fig.add_trace(_scatter(lines, mode="lines", line={"color": "rgba(120,120,120,0.45)", "width": 1},
                               name="point -> reconstruction", hoverinfo="skip"))
    fig.add_trace(_scatter(points, mode="markers", marker=marker, name="data"))
    if recon is not None:
        fig.add_trace(_scatter(recon, mode="markers", marker={"size": 4, "color": RECON_COLOUR},
                               name="reconstruction g(f(x))"))
    return _layout(fig, title, points.shape[1], plane_ranges(points) if points.shape[1] == 2 else None)


def _sheet_lines(sheet: np.ndarray) -> np.ndarray:
    """A (S, S, D) decoded code grid as its rows and columns, one NaN-broken polyline."""
    gap = np.full((1, sheet.shape[2]), np.nan)
    rows = [np.vstack([row, gap]) for row in sheet] + [np.vstack([col, gap]) for col in sheet.transpose(1, 0, 2)]
    return np.vstack(rows)


def manifold_figure(points: np.ndarray, learned: np.ndarray, pca_ends: np.ndarray | None,
                    clean: np.ndarray | None, title: str) -> go.Figure:
    """learned: (P, D) the decoder's curve, or (S, S, D) its sheet; pca_ends: (2, D) PCA's line."""
    fig = go.Figure()
    fig.add_trace(_scatter(points, mode="markers", marker={"size": 4, "color": DATA_COLOUR, "opacity": 0.5},
                           name="data"))
    if clean is not None:
        fig.add_trace(_scatter(clean[::4], mode="markers", marker={"size": 2, "color": CLEAN_COLOUR},
                               name="true manifold"))
    if learned.ndim == 3:
        fig.add_trace(_scatter(_sheet_lines(learned), mode="lines", line={"color": RECON_COLOUR, "width": 1.5},
                               name="decoder's image of a code grid"))
    elif len(learned):
        fig.add_trace(_scatter(learned, mode="lines", line={"color": RECON_COLOUR, "width": 4},
                               name="learned curve g(z)"))
    if pca_ends is not None:
        fig.add_trace(_scatter(pca_ends, mode="lines", line={"color": PCA_COLOUR, "width": 3, "dash": "dash"},
                               name="PCA's first component"))
    return _layout(fig, title, points.shape[1], plane_ranges(points) if points.shape[1] == 2 else None)


def _arrows(field: Field, scale: float, cap: float) -> list[np.ndarray]:
    """Per colour bin, the shafts and (in 2-D) heads of the arrows as NaN-broken polylines. An arrow longer than cap
    is drawn cap long (its colour still says its length): full-length arrows from far away cross the whole plot."""
    length = field.length
    edges = np.quantile(length, np.linspace(0, 1, len(ARROW_COLOURS) + 1)) if len(length) else np.zeros(6)
    bins = np.clip(np.searchsorted(edges[1:-1], length, side="right"), 0, len(ARROW_COLOURS) - 1)
    shown = field.move * np.minimum(1.0, cap / np.maximum(length, 1e-12))[:, None]
    out = []
    for b in range(len(ARROW_COLOURS)):
        chosen = bins == b
        start, move = field.start[chosen], shown[chosen]
        end = start + move
        parts = [_segments(start, end)]
        if field.start.shape[1] == 2 and chosen.any():
            unit = move / np.maximum(np.linalg.norm(move, axis=1, keepdims=True), 1e-9)
            normal = np.stack([-unit[:, 1], unit[:, 0]], 1)
            head = np.minimum(np.linalg.norm(move, axis=1, keepdims=True) * 0.35, scale)
            parts += [_segments(end, end - head * (unit + 0.6 * normal)),
                      _segments(end, end - head * (unit - 0.6 * normal))]
        out.append(np.vstack(parts))
    return out


def field_figure(points: np.ndarray, field: Field, paths: np.ndarray | None, title: str,
                 clean: np.ndarray | None = None) -> go.Figure:
    """Arrows x -> g(f(x)) coloured by their length (darkest shortest); paths: (T, N, D) iterates of a few points."""
    fig = go.Figure()
    fig.add_trace(_scatter(points, mode="markers", marker={"size": 3, "color": DATA_COLOUR, "opacity": 0.5},
                           name="data"))
    length = field.length
    extent = float(np.ptp(field.start, axis=0).max()) if len(field.start) else 1.0
    cap = extent / (np.sqrt(len(field.start)) - 1) * 0.95 if field.start.shape[1] == 2 else 0.15 * extent
    for b, (colour, lines) in enumerate(zip(ARROW_COLOURS, _arrows(field, 0.4 * cap, cap))):
        fig.add_trace(_scatter(lines, mode="lines", line={"color": colour, "width": 2}, hoverinfo="skip",
                               name="arrows r(x) - x" if b == 0 else None, showlegend=b == 0,
                               legendgroup="arrows"))
    if len(length) and points.shape[1] == 2:  # a colour bar for the arrows' lengths
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
                                 marker={"color": [0], "cmin": float(length.min()), "cmax": float(length.max()),
                                         "colorscale": [[i / 4, c] for i, c in enumerate(ARROW_COLOURS)],
                                         "colorbar": {"title": "|r(x) - x|", "thickness": 12}, "showscale": True}))
    if clean is not None:
        fig.add_trace(_scatter(clean[::4], mode="markers", marker={"size": 2, "color": CLEAN_COLOUR},
                               name="true manifold"))
    if paths is not None:
        tracks = np.vstack([np.vstack([paths[:, i], np.full((1, paths.shape[2]), np.nan)])
                            for i in range(paths.shape[1])])
        fig.add_trace(_scatter(tracks, mode="lines+markers", line={"color": PCA_COLOUR, "width": 1.5},
                               marker={"size": 3, "color": PCA_COLOUR}, name="iterates x, r(x), r(r(x)), ..."))
        fig.add_trace(_scatter(paths[-1], mode="markers", marker={"size": 7, "color": PCA_COLOUR, "symbol": "x"},
                               name="where they end"))
    return _layout(fig, title, points.shape[1], plane_ranges(points) if points.shape[1] == 2 else None)


def codes_along_figure(position: np.ndarray, codes: np.ndarray, title: str) -> go.Figure:
    """Each point's code z1 against where it sits along the true curve (0 = one end, 1 = the other)."""
    fig = go.Figure(go.Scatter(x=position, y=codes[:, 0], mode="markers",
                               marker={"size": 4, "color": codes[:, 0], "colorscale": "Viridis"}, name="points"))
    fig.update_layout(title=title, height=320, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      xaxis_title="position along the true curve", yaxis_title="code z1")
    return fig


def gains_figure(gains: dict[str, Gains], title: str) -> go.Figure:
    """Gain of the encoder along and off the manifold, at samples along it, for each named model (log scale)."""
    fig = go.Figure()
    styles = {0: "solid", 1: "dot"}
    for i, (name, g) in enumerate(gains.items()):
        position = np.linspace(0, 1, len(g.along))
        fig.add_scatter(x=position, y=g.along, mode="lines", name=f"{name}: along",
                        line={"color": RECON_COLOUR, "dash": styles[i % 2]})
        fig.add_scatter(x=position, y=g.off, mode="lines", name=f"{name}: off",
                        line={"color": PCA_COLOUR, "dash": styles[i % 2]})
    fig.update_layout(title=title, height=380, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      xaxis_title="position along the true manifold", yaxis_title="gain of the code", yaxis_type="log",
                      legend={"orientation": "h", "y": -0.25})
    return fig


def posterior_figures(post: Posteriors, prior: np.ndarray, points: np.ndarray) -> tuple[go.Figure, go.Figure]:
    """Code space: each chosen point's q(z|x) as its 2-sigma ellipse (1-D code: segment); data space: the prior's
    samples decoded, and each ellipse's image under the decoder."""
    latent = post.mu.shape[1]
    codes = go.Figure()
    for i in range(len(post.mu)):
        outline = post.outline[i]
        y = outline[:, 1] if latent > 1 else np.full(len(outline), i * 0.2)
        codes.add_scatter(x=outline[:, 0], y=y, mode="lines", name=f"point {i + 1}", line={"width": 3})
    codes.update_layout(title="q(z|x): 2-sigma ellipses, code space", height=HEIGHT,
                        margin={"l": 10, "r": 10, "t": 50, "b": 10}, xaxis_title="z1",
                        yaxis_title="z2" if latent > 1 else "(points stacked)")
    if latent > 1:
        codes.update_yaxes(scaleanchor="x", scaleratio=1)
    plane = go.Figure()
    plane.add_trace(_scatter(points, mode="markers", marker={"size": 3, "color": DATA_COLOUR, "opacity": 0.4},
                             name="data"))
    plane.add_trace(_scatter(prior, mode="markers", marker={"size": 4, "color": RECON_COLOUR},
                             name="g(z), z ~ N(0, I)"))
    for i in range(len(post.mu)):
        plane.add_trace(_scatter(post.decoded[i], mode="lines", line={"width": 3}, name=f"point {i + 1}: decoded"))
        plane.add_trace(_scatter(post.points[i:i + 1], mode="markers", marker={"size": 10, "symbol": "x"},
                                 name=f"point {i + 1}", showlegend=False))
    return codes, _layout(plane, "Prior samples and ellipses, decoded", points.shape[1],
                          plane_ranges(points) if points.shape[1] == 2 else None)
