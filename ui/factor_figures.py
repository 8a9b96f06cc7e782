"""The Factors page's Plotly figures: the information heatmap, the scores side by side, and the beta sweep."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from aelab.analysis.latent import latent_name
from ui.common.widgets import PALETTE

MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


def heatmap_figure(mutual_info: np.ndarray, entropy: np.ndarray, factor_names: Sequence[str],
                   row_px: int = 45) -> go.Figure:
    """Factors (rows) x latent dimensions (columns): I(z_d; v_f) / H(v_f), 0 to 1, the value written in each cell;
    row_px pixels a factor."""
    share = (np.asarray(mutual_info) / np.asarray(entropy)[None, :]).T
    dims = [latent_name(d) for d in range(share.shape[1])]
    fig = go.Figure(go.Heatmap(z=share.tolist(), x=dims, y=list(factor_names),
                               zmin=0, zmax=1, colorscale="Viridis", text=np.round(share, 2).tolist(),
                               texttemplate="%{text}",
                               colorbar={"title": {"text": "share of H(factor)"}},
                               hovertemplate="%{x} and %{y}: %{z:.3f} of the factor's entropy<extra></extra>"))
    fig.update_layout(height=90 + row_px * share.shape[0], margin=MARGIN, yaxis={"autorange": "reversed"},
                      xaxis={"title": "latent dimension", "type": "category"})
    return fig


def scores_figure(rows: list[dict]) -> go.Figure:
    """Grouped bars: MIG, DCI disentanglement and SAP for each model, all on the same 0-1 axis."""
    names = [row["name"] for row in rows]
    series = {"MIG": [row["mig"] for row in rows], "DCI disentanglement": [row["dci"][0] for row in rows],
              "SAP": [row["sap"] for row in rows]}
    fig = go.Figure()
    for i, (label, values) in enumerate(series.items()):
        fig.add_bar(x=names, y=values, name=label, marker_color=PALETTE[i * 2 % len(PALETTE)],
                    hovertemplate=f"%{{x}}: {label} %{{y:.3f}}<extra></extra>")
    fig.update_layout(height=320, margin=MARGIN, barmode="group", yaxis={"title": "score", "range": [0, 1]},
                      legend={"orientation": "h", "y": 1.15})
    return fig


def sweep_figure(shipped: list[dict], added: list[dict]) -> go.Figure:
    """beta (log axis) against MIG (left) and against test MSE (right). Deterministic models (beta 0) are a dashed
    line in each panel; each seed of the shipped models is one coloured line; points added here are stars."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("MIG (higher: more disentangled)",
                                                        "test MSE (lower: sharper reconstructions)"))
    for col, metric in ((1, "mig"), (2, "mse")):
        seeds = sorted({r["seed"] for r in shipped if r["beta"] > 0})
        for i, seed in enumerate(seeds):
            points = sorted((r for r in shipped if r["beta"] > 0 and r["seed"] == seed), key=lambda r: r["beta"])
            fig.add_scatter(x=[r["beta"] for r in points], y=[r[metric] for r in points], mode="lines+markers",
                            name=f"shipped, seed {seed}", legendgroup=f"seed{seed}", showlegend=col == 1,
                            marker={"size": 10, "color": PALETTE[i % len(PALETTE)]}, text=[r["name"] for r in points],
                            hovertemplate="%{text}: beta %{x:g}, %{y:.4g}<extra></extra>", row=1, col=col)
        if added:
            fig.add_scatter(x=[r["beta"] for r in added], y=[r[metric] for r in added], mode="markers",
                            name="added here", legendgroup="added", showlegend=col == 1,
                            marker={"size": 14, "symbol": "star", "color": PALETTE[6]},
                            text=[f"seed {r['seed']}, {r.get('epochs', '?')} epochs" for r in added],
                            hovertemplate="beta %{x:g} (%{text}): %{y:.4g}<extra></extra>", row=1, col=col)
        for row in (r for r in shipped if r["beta"] == 0):  # after the traces: an empty subplot takes no line
            fig.add_hline(y=row[metric], line_dash="dash", line_color="#6e6e6e", row=1, col=col,
                          annotation_text=row["name"], annotation_position="top left")
    # Ticks at the betas drawn: plotly's own log ticks between 1 and 16 labelled a minor tick "9" before the "1"
    betas = sorted({r["beta"] for r in [*shipped, *added] if r["beta"] > 0})
    fig.update_xaxes(type="log", title_text="beta", tickvals=betas, ticktext=[f"{b:g}" for b in betas])
    fig.update_layout(height=380, margin=MARGIN, legend={"orientation": "h", "y": -0.25})
    return fig
