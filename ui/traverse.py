"""The Traverse page's pieces: the slider panel (a fragment, so a slider step reruns only it), the traversal grid
with its centre column framed, and the one-dimension sweep as an animated GIF.

Why the panel is fast: everything a slider step does not change (the test codes, the ranges, the importance order,
the starting code) is computed by the page and handed to the fragment, which only decodes one code (~0.1 ms) and
sends one small PNG.
"""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from aelab.analysis.images import enlarge, gif_bytes, grid, png_bytes, to_uint8
from aelab.analysis.latent import decode, latent_name
from aelab.analysis.paths import traversal_grid, traversal_values, traverse
from ui.common import present
from ui.common.view_state import Bound
from ui.common.view_store import fragment
from ui.components import live_decoder as live

SHOWN_AT_FIRST = 8
IMAGE_SCALE = 8  # 28 px -> 224 px: crisp, and a ~2 KB PNG per slider step
SOURCE_KEY = "traverse_code_source"  # the id of the live slider release the code came from (None: the server's own)
FRAME_COLOUR = (204, 102, 119)  # the palette's rose: the original code's column


def slider_key(dim: int) -> str:
    """The latent slider's widget key (and so its element's CSS class st-key-traverse_z3): named as its label."""
    return f"traverse_{latent_name(dim)}"


def moved_within(lows: list[float], highs: list[float]):
    """The check of the view's moved sliders (its z field) against this model's dimensions and ranges."""
    def why_not(moved) -> str | None:
        for dim, value in moved:
            if not 0 <= dim < len(lows):
                return f"names a dimension this model does not have (z{dim + 1})"
            if not lows[dim] <= value <= highs[dim]:
                return f"puts {latent_name(dim)} out of its range ({lows[dim]:.2f} to {highs[dim]:.2f})"
        return None
    return why_not


def code_of(z0: torch.Tensor, moved) -> list[float]:
    """The sliders' code: the start image's code with the moved dimensions set."""
    code = [float(v) for v in z0]
    for dim, value in moved or ():
        code[dim] = value
    return code


def moved_of(code: list[float], z0: torch.Tensor) -> tuple[tuple[int, float], ...] | None:
    """The dimensions a code moves away from z0 (None when it moves none)."""
    moved = tuple((d, float(v)) for d, v in enumerate(code) if abs(v - float(z0[d])) > 1e-6)
    return moved or None


@fragment
def slider_panel(view: Bound, record, z0: torch.Tensor, order: list[int], scores: torch.Tensor, score_name: str,
                 lows: list[float], highs: list[float]) -> None:
    """One slider per dimension (most important first; the first 8 unless "show all"), the decoded image beside.
    z0: (latent_dim,) the starting code; lows/highs: slider limits per dimension (containing z0). The moved sliders
    are the view's z.

    Live (the decoder runs in the browser): the sliders and the picture are the live decoder's, the image follows
    the mouse, and the code comes back here when a slider is let go. Otherwise Streamlit's sliders and a server
    decode per step, with a one-line notice saying why."""
    code = code_of(z0, view.value("z", check=moved_within(lows, highs), fallback_text="the image's own code"))
    reason = live.unavailable_reason(record)
    show_all = view.toggle("show_all", f"Show all {len(order)} dimensions", key="traverse_show_all",
                           disabled=len(order) <= SHOWN_AT_FIRST)
    shown = order if show_all else order[:SHOWN_AT_FIRST]
    if reason is None:
        live_sliders(record, code, shown, scores, score_name, lows, highs)
    else:
        live.notice(reason)
        server_sliders(view, record.model, code, shown, scores, score_name, lows, highs)
    view.set(z=moved_of(code, z0))
    with st.container(key="traverse_code_state"):  # the server's code: what the grid below and the tests read
        z = torch.tensor(code, dtype=torch.float32)
        moved = [d for d in order if abs(code[d] - float(z0[d])) > 1e-6]
        st.caption(f"distance from the start ||z - z0|| = {float((z - z0).norm()):.2f}; "
                   + (f"moved: {', '.join(f'{latent_name(d)} = {code[d]:.3f}' for d in moved[:6])}"
                      f"{'...' if len(moved) > 6 else ''}" if moved else "no slider moved yet"))
        st.button("Reset", key="traverse_reset", on_click=reset_code, args=(view,), icon=":material/restart_alt:")
    view.show("z")


def reset_code(view: Bound) -> None:
    """Callback of Reset: every slider back on the start image's code."""
    view.set(z=None)
    st.session_state.pop(SOURCE_KEY, None)


def live_sliders(record, code: list[float], shown: list[int], scores: torch.Tensor, score_name: str,
                 lows: list[float], highs: list[float]) -> None:
    """The live decoder's sliders: a released slider's code becomes the server's code (clipped to the ranges)."""
    model = live.live_model(record)
    released = live.released("traverse_live", model)
    if released and isinstance(released.get("code"), list) and len(released["code"]) == len(code):
        code[:] = [min(max(float(v), lows[d]), highs[d]) for d, v in enumerate(released["code"])]
        st.session_state[SOURCE_KEY] = released["n"]
    steps = [max((high - low) / 100, 1e-4) for low, high in zip(lows, highs)]
    spec = {"dims": shown, "labels": [f"{latent_name(d)}  ({score_name} {float(scores[d]):.2f})" for d in shown],
            "lows": lows, "highs": highs, "steps": steps, "code": [float(v) for v in code],
            "source": st.session_state.get(SOURCE_KEY),
            "caption": "the picture follows the sliders as you drag"}
    with st.container(key="traverse_decoded"), present.main_picture():  # the keys name it for browser tests
        live.live_decoder("traverse_live", "sliders", spec, model,
                          scale=live.display_scale(model.image_size, present.chart_height(live.DISPLAY_PX)))


def server_sliders(view: Bound, model, code: list[float], shown: list[int], scores: torch.Tensor, score_name: str,
                   lows: list[float], highs: list[float]) -> None:
    """Streamlit's sliders (each sends its value on release) and the image decoded here."""
    sliders_col, image_col = st.columns([3, 2], gap="large")
    with sliders_col:
        columns = st.columns(2)
        for rank, dim in enumerate(shown):
            key = slider_key(dim)
            view.seed(key, min(max(code[dim], lows[dim]), highs[dim]))
            step = max((highs[dim] - lows[dim]) / 100, 1e-4)
            code[dim] = view.drew(key, columns[rank % 2].slider(
                f"{latent_name(dim)}  ({score_name} {float(scores[dim]):.2f})", min_value=lows[dim],
                max_value=highs[dim], step=step, format="%.2f", key=key))
    with image_col, st.container(key="traverse_decoded"), present.main_picture():  # named for browser tests
        z = torch.tensor(code, dtype=torch.float32)
        picture = enlarge(to_uint8(decode(model, z.unsqueeze(0))[0, 0]),
                          present.picture_scale(IMAGE_SCALE, model.config.image_size))
        st.image(picture, caption="decoded from the sliders' code", width="content", output_format="PNG")


def framed_grid(images: torch.Tensor, rows: int, cols: int, framed_col: int, scale: int = 3,
                colour: tuple[int, int, int] = FRAME_COLOUR) -> np.ndarray:
    """images: (rows*cols, 1, H, W) row-major -> RGB uint8 grid with a coloured frame around column framed_col.
    The frame is the 2-pixel padding around each cell of that column, so no image pixel is covered."""
    padding = 2
    picture = grid(images, ncol=cols, padding=padding, scale=1)
    rgb = np.repeat(picture[:, :, None], 3, axis=2)
    height, width = images.shape[-2:]
    left = framed_col * (width + padding)
    rgb[:, left:left + width + 2 * padding][:rows * (height + padding) + padding] = colour
    for row in range(rows):  # put the images back inside the frame
        top = padding + row * (height + padding)
        cell = picture[top:top + height, left + padding:left + padding + width]
        rgb[top:top + height, left + padding:left + padding + width] = cell[:, :, None]
    return enlarge(rgb, scale)


def grid_picture(model, z0: torch.Tensor, dims: list[int], low: torch.Tensor, high: torch.Tensor,
                 steps: int) -> tuple[np.ndarray, int]:
    """The traversal grid (rows = dims, centre column = z0) as an RGB picture, and its column count."""
    codes = traversal_grid(z0, dims, low, high, steps, centre_on_code=True)
    cols = codes.shape[0] // max(len(dims), 1)
    return framed_grid(decode(model, codes), len(dims), cols, cols // 2), cols


def sweep_frames(model, z0: torch.Tensor, dim: int, low: float, high: float, frames: int,
                 scale: int = 4) -> list[np.ndarray]:
    """One dimension swept from low to high: frames uint8 images (H*scale, W*scale)."""
    images = decode(model, traverse(z0.reshape(-1), dim, traversal_values(float(z0[dim]), low, high, frames)))
    return [enlarge(to_uint8(image[0]), scale) for image in images]


def grid_exports(picture: np.ndarray, frames: list[np.ndarray], dim: int, name: str) -> None:
    """The grid's PNG and the sweep's GIF, each downloadable; the GIF also plays in the page."""
    gif = gif_bytes(frames, duration_ms=90)
    left, right = st.columns(2)
    left.download_button("Download the grid (PNG)", png_bytes(picture), file_name=f"traversal-{name}.png",
                         mime="image/png", key="traverse_grid_png", icon=":material/download:")
    right.download_button(f"Download the {latent_name(dim)} sweep (GIF)", gif,
                          file_name=f"traversal-{name}-{latent_name(dim)}.gif", mime="image/gif",
                          key="traverse_sweep_gif", icon=":material/gif_box:")
    st.image(gif, caption=f"{latent_name(dim)} swept from its low to its high value and back", width="content")
