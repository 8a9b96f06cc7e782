"""The Interpolate page's pieces: the rows of frames between two images (pixel blend, linear and spherical latent
paths), each frame's distance from the data manifold, the path on a 2-D map of the codes, the three-way triangle,
the PNG / GIF exports, and the live scrub and triangle (decoded in the browser while dragged).

Why re-encode the pixel blend: (1 - t) x_a + t x_b is two faint digits on top of each other, an image no digit
looks like. Its code lands away from the test codes, and its reconstruction error (MSE between a frame and the
model's reconstruction of it) rises in the middle of the blend: the model has never seen such an image. A frame
decoded from the latent path is the model's own output, so its reconstruction error stays low all the way.
"""
from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from aelab.analysis.images import enlarge, gif_bytes, grid, png_bytes
from aelab.analysis.latent import decode, encode_dataset, project_2d, reconstruction_errors
from aelab.analysis.paths import interpolate, pixel_blend, triangle_codes
from ui.common import cache, present
from ui.common.pickers import codes_for
from ui.common.view_state import Bound
from ui.common.view_store import fragment
from ui.common.widgets import PALETTE
from ui.components import live_decoder as live
from ui.latent.figures import SVG_MAX_POINTS

ROW_COLOURS = {"pixel blend": PALETTE[6], "latent (linear)": PALETTE[0], "latent (slerp)": PALETTE[2]}
FRAME_SCALE = 3


def interpolation_rows(model, x_a: torch.Tensor, x_b: torch.Tensor, steps: int,
                       variational: bool) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """x_a, x_b: (1, 1, H, W) -> ({row name: frames (steps, 1, H, W)}, {latent row name: codes (steps, latent_dim)}).

    Rows: the pixel blend, the decoded linear path, and for a VAE the decoded slerp path (its prior is a Gaussian,
    whose samples live near a sphere; a straight line between two of them passes closer to the origin)."""
    z_a, z_b = encode_dataset(model, torch.cat([x_a, x_b]))
    codes = {"latent (linear)": interpolate(z_a, z_b, steps, "linear")}
    if variational:
        codes["latent (slerp)"] = interpolate(z_a, z_b, steps, "slerp")
    frames = {"pixel blend": pixel_blend(x_a, x_b, steps)}
    frames.update({name: decode(model, z) for name, z in codes.items()})
    return frames, codes


def manifold_errors(model, frames: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """Each frame's reconstruction MSE, (steps,) per row: how far off the data manifold it is."""
    return {name: reconstruction_errors(model, x).numpy() for name, x in frames.items()}


def rows_picture(frames: dict[str, torch.Tensor]) -> np.ndarray:
    """All rows as one uint8 image, one row per path, frames left (A) to right (B): the PNG export."""
    steps = next(iter(frames.values())).shape[0]
    return grid(torch.cat(list(frames.values())), ncol=steps, scale=FRAME_SCALE)


def animation_frames(frames: dict[str, torch.Tensor]) -> list[np.ndarray]:
    """GIF frames: at step t, each row's frame t side by side (pixel blend | linear | slerp), enlarged."""
    steps = next(iter(frames.values())).shape[0]
    scale = present.gif_scale(next(iter(frames.values())).shape[-2:])  # each image at least 336 px tall
    return [grid(torch.stack([x[t] for x in frames.values()]), ncol=len(frames), scale=scale) for t in range(steps)]


def triangle_picture(images: torch.Tensor, steps: int, padding: int = 2) -> np.ndarray:
    """images: (steps*(steps+1)/2, 1, H, W) in triangle_weights order (row r holds r + 1 images) -> one uint8
    picture, A at the top, B bottom left, C bottom right, each row centred."""
    height, width = images.shape[-2:]
    cell_h, cell_w = height + padding, width + padding
    canvas = np.full((steps * cell_h + padding, steps * cell_w + padding), 255, np.uint8)
    tiles = grid(images, ncol=1, padding=0)  # uint8, images stacked vertically
    index = 0
    for row in range(steps):
        left = padding + (steps - 1 - row) * cell_w // 2
        for col in range(row + 1):
            top_px, left_px = padding + row * cell_h, left + col * cell_w
            canvas[top_px:top_px + height, left_px:left_px + width] = tiles[index * height:(index + 1) * height]
            index += 1
    return enlarge(canvas, FRAME_SCALE)


def triangle_images(model, x_abc: torch.Tensor, steps: int) -> torch.Tensor:
    """x_abc: (3, 1, H, W) -> decoded convex mixtures of their codes, (steps*(steps+1)/2, 1, H, W)."""
    z_a, z_b, z_c = encode_dataset(model, x_abc)
    return decode(model, triangle_codes(z_a, z_b, z_c, steps))


@st.cache_data(show_spinner="Projecting the test codes (PCA)...", max_entries=16)
def _pca_of_codes(identity: str, _codes: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(coords (N, 2), mean (latent_dim,), components (2, latent_dim)): the PCA map, kept as arrays so new codes
    (the path, the re-encoded blends) land in the same picture by (z - mean) @ components.T."""
    projection = project_2d(_codes, "pca")
    components = projection.reducer.components_
    if components.shape[0] == 1:  # a 1-latent model: project_2d spreads it along x only
        components = np.vstack([components, np.zeros_like(components)])
    return projection.coords, projection.reducer.mean_.astype(np.float32), components.astype(np.float32)


def path_figure(record, dataset, model, codes: dict[str, torch.Tensor], pixel_frames: torch.Tensor,
                height: int = 380) -> go.Figure:
    """The test codes as grey dots (PCA), each latent path as a line, the re-encoded pixel blend as another."""
    coords, mean, components = _pca_of_codes(cache.key(record, dataset), codes_for(record, dataset))

    def place(z: torch.Tensor) -> np.ndarray:
        return (np.asarray(z, dtype=np.float32) - mean) @ components.T

    fig = go.Figure()
    dots = go.Scattergl if len(coords) > SVG_MAX_POINTS else go.Scatter  # no WebGL context for a few points
    fig.add_trace(dots(x=coords[:, 0], y=coords[:, 1], mode="markers", name="test codes", hoverinfo="skip",
                       marker={"size": 3, "color": "#BBBBBB", "opacity": 0.5}))
    paths = dict(codes)
    paths["pixel blend (re-encoded)"] = encode_dataset(model, pixel_frames)
    for name, z in paths.items():
        xy = place(z)
        colour = ROW_COLOURS.get(name.replace(" (re-encoded)", ""), PALETTE[3])
        fig.add_scatter(x=xy[:, 0], y=xy[:, 1], mode="lines+markers", name=name,
                        line={"color": colour, "width": 3, "dash": "dot" if "pixel" in name else "solid"},
                        marker={"size": 6})
    ends = place(next(iter(codes.values()))[[0, -1]])
    fig.add_scatter(x=ends[:, 0], y=ends[:, 1], mode="markers+text", text=["A", "B"], textposition="top center",
                    name="A and B", marker={"size": 14, "color": "black", "symbol": "star"})
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10}, xaxis_title="PC1",
                      yaxis_title="PC2", legend={"orientation": "h", "y": -0.2})
    return fig


def errors_figure(errors: dict[str, np.ndarray], height: int = 260) -> go.Figure:
    """One line per row: reconstruction MSE of each frame against t."""
    fig = go.Figure()
    for name, values in errors.items():
        fig.add_scatter(x=np.linspace(0, 1, len(values)), y=values, mode="lines+markers", name=name,
                        line={"color": ROW_COLOURS.get(name, PALETTE[3])})
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10}, xaxis_title="t (A = 0, B = 1)",
                      yaxis_title="reconstruction MSE", legend={"orientation": "h", "y": -0.3})
    return fig


@fragment
def rows_section(view: Bound, record, dataset, x_a: torch.Tensor, x_b: torch.Tensor, names: tuple[str, str]) -> None:
    """The step slider and everything it changes (a fragment: moving it does not rerun the pickers)."""
    model, variational = record.model, record.model_config.variational
    steps = view.slider("steps", "Steps (frames per row, ends included)", 3, 21, key="interpolate_steps")
    frames, codes = interpolation_rows(model, x_a, x_b, steps, variational)
    live_off = live.unavailable_reason(record) is not None  # then these rows are the page's main picture
    scale = present.picture_scale(FRAME_SCALE, x_a.shape[-2:], rows=len(frames)) if live_off else FRAME_SCALE
    with st.container(key="interpolate_row_images"), (present.main_picture() if live_off else nullcontext()):
        st.caption(f"{steps} frames per row, from {names[0]} (left) to {names[1]} (right).")
        for name, x in frames.items():
            label_col, picture_col = st.columns([1, 6], vertical_alignment="center")
            label_col.markdown(f"**{name}**")
            picture_col.image(grid(x, ncol=steps, scale=scale), width="content")
    if not variational:
        st.caption(f"{record.name} is not a VAE, so there is no spherical (slerp) row: without a Gaussian prior "
                   "there is no sphere its codes live near.")
    st.markdown("**How far off the data manifold is each frame?** Reconstruction error of each frame (the middle of "
                "a pixel blend is two ghost digits; the model reconstructs it badly).")
    st.plotly_chart(errors_figure(manifold_errors(model, frames)), key="interpolate_errors_chart")

    map_col, gif_col = st.columns([3, 2], gap="large")
    with map_col:
        st.markdown("**The paths on a map of the codes** (PCA of the test codes). The re-encoded pixel blend "
                    "leaves the cloud of real digits; the latent path is a straight line (or arc) through it.")
        st.plotly_chart(path_figure(record, dataset, model, codes, frames["pixel blend"]), key="interpolate_map")
    with gif_col:
        gif = gif_bytes(animation_frames(frames), duration_ms=150, bounce=False)
        st.image(gif, caption=f"Animated: {' | '.join(frames)}")
        stem = f"interpolate_{record.name}_{steps}"
        st.download_button("Download the rows (PNG)", png_bytes(rows_picture(frames)), f"{stem}.png", "image/png",
                           key="interpolate_png", icon=":material/download:")
        st.download_button("Download the animation (GIF)", gif, f"{stem}.gif", "image/gif", key="interpolate_gif",
                           icon=":material/download:")



# ------------------------------------------------------------------------------------------ live (in the browser)
def live_scrub(view: Bound, record, x_a: torch.Tensor, x_b: torch.Tensor, names: tuple[str, str]) -> None:
    """A slider for t that decodes (1 - t) z_A + t z_B in the browser while it moves; t goes to the server on release
    and becomes the view's (today's server path, the rows above, stays as it is where live decoding is off)."""
    reason = live.unavailable_reason(record)
    if reason is not None:
        live.notice(reason)
        return
    model = live.live_model(record)
    z_a, z_b = encode_dataset(record.model, torch.cat([x_a, x_b]))
    released = live.released("interpolate_live_scrub", model)
    if released and isinstance(released.get("t"), (int, float)):
        view.set(t=round(min(max(float(released["t"]), 0.0), 1.0), 3))
    t = view.value("t", low=0.0, high=1.0, fallback_text="t = 0.5")
    spec = {"anchors": [z_a.tolist(), z_b.tolist()], "t": t, "label": f"t (0 = {names[0]}, 1 = {names[1]})",
            "caption": "(1 - t) z_A + t z_B: the picture follows t as you drag"}
    with st.container(key="interpolate_live_scrub_box"), present.main_picture():
        live.live_decoder("interpolate_live_scrub", "scrub", spec, model,
                          scale=live.display_scale(model.image_size, present.chart_height(live.DISPLAY_PX)))
    view.show("t")
    st.caption(f"Where you let go: t = {t:.2f}, kept in the page's link.")


def _weights_fit(weights) -> str | None:
    return None if min(weights) >= 0 and sum(weights) > 0 else "is not three weights >= 0 (A, B, C)"


def live_triangle(view: Bound, record, corners: torch.Tensor) -> None:
    """Drag a point inside the triangle A (top), B (bottom left), C (bottom right): w_A z_A + w_B z_B + w_C z_C is
    decoded in the browser; the weights go to the server on release and become the view's."""
    reason = live.unavailable_reason(record)
    if reason is not None:
        live.notice(reason)
        return
    model = live.live_model(record)
    z_abc = encode_dataset(record.model, corners)
    released = live.released("interpolate_live_triangle", model)
    weights = released.get("weights") if released else None
    if isinstance(weights, list) and len(weights) == 3 and _weights_fit([float(w) for w in weights]) is None:
        view.set(weights=tuple(round(float(w) / sum(weights), 4) for w in weights))
    weights = view.value("weights", default=(1 / 3, 1 / 3, 1 / 3), check=_weights_fit, fallback_text="the centre")
    weights = [w / sum(weights) for w in weights]
    spec = {"anchors": z_abc.tolist(), "weights": weights, "size": 280,
            "caption": "w_A z_A + w_B z_B + w_C z_C: the picture follows the point as you drag"}
    with st.container(key="interpolate_live_triangle_box"):
        live.live_decoder("interpolate_live_triangle", "triangle", spec, model)
    view.show("weights")
    st.caption("Where you let go: " + ", ".join(f"w_{n} = {w:.2f}" for n, w in zip("ABC", weights))
               + ", kept in the page's link.")
