"""The Latent Space page's live plane: beside the Plotly map (which keeps click, box and lasso selection), a plane
drawn by the live decoder with the same points, where hovering anywhere decodes that spot in the browser.

What a hovered point (u, v) decodes, said on the page:
- two raw dimensions: the code with z[a] = u, z[b] = v; for a 2-latent model that is the latent plane itself, for a
  larger code the other dimensions stay at the codes' mean;
- PCA: the code mean + the PCA inverse of the point, mean + u PC1 + v PC2 (scikit-learn's inverse_transform);
- UMAP has no inverse, so there is no live plane for it.
A click pins a point: the server gets it on release and decodes it too, so the page's state stays the server's.
"""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from aelab.analysis.latent import Projection, decode
from aelab.analysis.maps import plane_basis, plane_range
from ui.common.view_state import Bound
from ui.common.widgets import PALETTE, UNLABELLED_COLOUR
from ui.components import live_decoder as live
from ui.latent.sections import crisp

KEY = "latent_live"
PLANE_PX = 280
MAX_POINTS = 2000  # dots drawn on the live plane (the Plotly map keeps all of them)


def live_plane(view: Bound, record, projection: Projection, z: np.ndarray, labels: np.ndarray,
               titles: tuple[str, str]) -> None:
    """The live hover plane with the map's points, and the pinned point (the view's) as the server decodes it."""
    reason = live.unavailable_reason(record)
    if reason is not None:
        live.notice(reason)
        return
    if projection.method not in ("pca", "raw"):
        st.caption("The live hover plane needs the PCA map or two latent dimensions: UMAP has no inverse.")
        return
    model = live.live_model(record)
    origin, axes, says = plane_basis(projection, z)
    released = live.released(KEY, model)
    if released and isinstance(released.get("point"), list) and len(released["point"]) == 2:
        view.set(pinned=tuple(round(float(v), 4) for v in released["point"]))
    coords = projection.coords
    shown = np.linspace(0, len(coords) - 1, min(len(coords), MAX_POINTS)).astype(int)
    low, high = plane_range(coords)
    point = view.value("pinned", check=lambda p: None if all(low - (high - low) <= v <= high + (high - low) for v in p)
                       else "is far outside the map", fallback_text="no pinned point")
    point = None if point is None else list(point)
    spec = {"size": PLANE_PX, "extent": [low, high, low, high], "origin": origin.tolist(), "axes": axes.tolist(),
            "x": np.round(coords[shown, 0], 4).tolist(), "y": np.round(coords[shown, 1], 4).tolist(),
            "c": [int(v) % len(PALETTE) if v >= 0 else len(PALETTE) for v in labels[shown]],
            "colours": [*PALETTE, UNLABELLED_COLOUR], "xlabel": titles[0], "ylabel": titles[1],
            "hint": "move the mouse over the plane; click to pin a point", "caption": "decoded where you hover",
            "pinned": point, "start": [(low + high) / 2, (low + high) / 2]}
    st.markdown("**Live plane** (under the map above, which keeps click, box and lasso selection)")
    st.caption(says)
    with st.container(key="latent_live_plane"):
        live.live_decoder(KEY, "plane", spec, model)
    with st.container(key="latent_live_state"):
        if point is None:
            st.caption("No point pinned yet: click the live plane.")
            return
        code = torch.from_numpy(origin + point[0] * axes[0] + point[1] * axes[1]).float()
        left, right = st.columns([1, 3], vertical_alignment="center")
        left.image(crisp(decode(record.model, code[None])[0, 0], 112), width="content")
        right.caption(f"pinned: {titles[0]} = {point[0]:.3f}, {titles[1]} = {point[1]:.3f}, kept in the page's link")
