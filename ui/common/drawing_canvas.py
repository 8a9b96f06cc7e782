"""A canvas bound to a drawing kept in a page's view (a digit to encode, a mask to inpaint), and a digit drawing as a
model input (aelab.data.drawing does the MNIST-style preprocessing).

The view keeps the drawing as a small bitmap (aelab.views.values.Bitmap), not the canvas: the canvas is where it is
drawn. So when the view's drawing changed elsewhere (a link, Reset, the page left and opened again), the canvas is
loaded with a picture of it, and a person can draw on from there; what they draw becomes the view's drawing. While
they draw, the canvas keeps its own strokes (it is given the same picture on every run, so it is not reloaded).

Place output whose number of elements changes between reruns in one st.container() after the canvas, or the canvas
remounts blank.
"""
from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import streamlit as st
import torch
from PIL import Image
from streamlit_drawable_canvas import st_canvas

from aelab.data.drawing import DigitLayout, EmptyDrawingError, preprocess_drawing
from aelab.views.values import Bitmap

_STATE_PREFIX = "_canvas_"  # {key}: {"kept": the view's drawing the canvas was last loaded with, "initial": its JSON}


def _picture_object(picture: Image.Image, side: int) -> dict[str, Any]:
    """A fabric.js image object covering the canvas (what st_canvas's initial_drawing holds)."""
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    src = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return {"type": "image", "version": "5.3.0", "originX": "left", "originY": "top", "left": 0, "top": 0,
            "width": side, "height": side, "scaleX": 1, "scaleY": 1, "src": src, "crossOrigin": None,
            "selectable": False, "evented": False}


def _kept_canvas(key: str, kept: Bitmap | None, picture) -> tuple[dict, bool]:
    """(the initial drawing to give the canvas, whether the view's drawing changed since it was last loaded)."""
    state = st.session_state.setdefault(_STATE_PREFIX + key, {})
    if key in st.session_state and "initial" in state and state.get("kept") == kept:
        return state["initial"], False
    initial = {"objects": [] if kept is None or not kept.any() else [picture(kept)]}
    state.update(kept=kept, initial=initial)
    return initial, True


def remember(key: str, kept: Bitmap | None) -> None:
    """What the person drew on the canvas keyed `key` is now the view's drawing (the canvas is not reloaded)."""
    st.session_state.setdefault(_STATE_PREFIX + key, {})["kept"] = kept


def _touched(result, initial: dict) -> bool:
    """Whether the canvas holds something else than what it was loaded with (strokes drawn, or cleared)."""
    objects = (result.json_data or {}).get("objects")
    if objects is None:
        return False
    return [o.get("type") for o in objects] != [o.get("type") for o in initial["objects"]]


def digit_canvas(key: str, kept: Bitmap | None, size: int = 240) -> tuple[np.ndarray | None, bool]:
    """A square canvas, white ink on black as in MNIST, showing the view's drawing `kept`; (the canvas as
    (size, size, 4) uint8 RGBA, whether the person changed it since it was loaded). The brush is size/12 wide: once
    the digit is scaled to MNIST's 20-pixel box its strokes are ~2 pixels wide, like MNIST's. The toolbar under
    the canvas has undo, redo and clear."""
    def picture(bitmap: Bitmap):
        grey = (bitmap.to_array() * 255).astype(np.uint8)
        return _picture_object(Image.fromarray(grey).convert("RGB").resize((size, size), Image.NEAREST), size)

    initial, _ = _kept_canvas(key, kept, picture)
    result = st_canvas(stroke_width=max(4, size // 12), stroke_color="#FFFFFF", background_color="#000000",
                       width=size, height=size, drawing_mode="freedraw", key=key, return_image_data=True,
                       initial_drawing=initial)
    return result.image_data, _touched(result, initial)


def mask_canvas(key: str, kept: Bitmap | None, background: Image.Image, stroke_width: int,
                colour: tuple[int, int, int] = (230, 97, 0)) -> tuple[np.ndarray | None, bool]:
    """A canvas over background (the image the mask is for) where painted pixels are the mask, showing the view's
    mask `kept`; (the painted layer as RGBA, whether the person changed it since it was loaded)."""
    side = background.size[0]

    def picture(bitmap: Bitmap):
        on = np.asarray(Image.fromarray((bitmap.to_array() * 255).astype(np.uint8)).resize((side, side),
                                                                                          Image.NEAREST)) > 127
        rgba = np.zeros((side, side, 4), np.uint8)
        rgba[on] = (*colour, 217)
        return _picture_object(Image.fromarray(rgba, "RGBA"), side)

    initial, _ = _kept_canvas(key, kept, picture)
    result = st_canvas(stroke_width=stroke_width, stroke_color=f"rgba({colour[0]}, {colour[1]}, {colour[2]}, 0.85)",
                       background_image=background.convert("RGB"), height=side, width=side,
                       drawing_mode="freedraw", key=key, return_image_data=True, initial_drawing=initial)
    return result.image_data, _touched(result, initial)


def drawing_as_input(rgba: np.ndarray | None, layout: DigitLayout | None) -> torch.Tensor | None:
    """The drawing as the model's input (1, 1, H, W), made like the dataset's own images (layout); or None after
    saying why (nothing drawn yet, an empty canvas)."""
    if rgba is None or layout is None:
        st.caption("Draw a digit with the mouse (or a finger): it is cropped, scaled to the box the dataset's digits "
                   "fill and centred by its centre of mass, as MNIST's digits were.")
        return None
    try:
        return preprocess_drawing(rgba, layout.image_size, layout)
    except EmptyDrawingError as err:
        st.info(str(err))
        return None
