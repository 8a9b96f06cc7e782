"""Small drawing helpers shared by pages: image grids, the label palette (aelab's, re-exported), loss charts. Imports
neither torch nor Plotly (Home and the sidebar use it): Plotly is imported where a chart is made."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from aelab.analysis.images import PALETTE, UNLABELLED_COLOUR, grid
from aelab.data.dataset import class_name

if TYPE_CHECKING:
    import plotly.graph_objects as go
    import torch

__all__ = ["PALETTE", "UNLABELLED_COLOUR", "class_name", "label_colour", "loss_figure", "show_grid", "show_rows"]


def label_colour(label: int) -> str:
    return PALETTE[label % len(PALETTE)] if label >= 0 else UNLABELLED_COLOUR


def show_grid(x: torch.Tensor | np.ndarray, ncol: int | None = None, caption: str | None = None,
              scale: int = 3, width: int | None = None) -> None:
    """x: (N, 1, H, W) or (N, H, W) in [0, 1], drawn as one crisp image (pixels enlarged, not blurred)."""
    if len(x) == 0:
        st.caption("(no images)")
        return
    picture = grid(x, ncol=ncol, scale=scale)
    st.image(picture, caption=caption, width=width if width is not None else "content")


def show_rows(rows: dict[str, torch.Tensor | np.ndarray], scale: int = 3, label_ratio: tuple = (1, 6)) -> None:
    """Several equally long rows of images, each with its label on the left: e.g. originals over reconstructions.
    label_ratio: the widths of the label and picture columns (labels wrap between words, not inside one)."""
    for label, images in rows.items():
        left, right = st.columns(label_ratio, vertical_alignment="center")
        left.markdown(f"**{label}**")
        with right:
            show_grid(images, ncol=len(images), scale=scale)


def loss_figure(history: list[dict], terms: Sequence[str] | None = None, height: int = 300) -> go.Figure:
    """Per-epoch curves: solid train, dashed validation, one colour per named term."""
    import plotly.graph_objects as go

    fig = go.Figure()
    if history:
        names = terms or [k for k in history[0].get("train", {})]
        epochs = [h["epoch"] for h in history]
        for i, name in enumerate(names):
            colour = PALETTE[i % len(PALETTE)]
            fig.add_scatter(x=epochs, y=[h["train"].get(name) for h in history], name=f"{name} (train)",
                            mode="lines+markers", line={"color": colour})
            if history[0].get("val"):
                fig.add_scatter(x=epochs, y=[(h.get("val") or {}).get(name) for h in history], name=f"{name} (test)",
                                mode="lines", line={"color": colour, "dash": "dash"})
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, xaxis_title="epoch",
                      yaxis_title="loss per image", legend={"orientation": "h", "y": -0.25})
    return fig
