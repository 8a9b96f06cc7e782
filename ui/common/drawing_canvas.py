"""A canvas to draw a digit on, and the drawing as a model input (aelab.data.drawing does the MNIST-style
preprocessing).

Usable by any page: `rgba = digit_canvas("canvas")`, then `x = drawing_as_input(rgba, dataset)`. Place output whose
number of elements changes between reruns in one st.container() after the canvas, or the canvas remounts blank.
"""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch
from streamlit_drawable_canvas import st_canvas

from aelab.data.drawing import DigitLayout, EmptyDrawingError, preprocess_drawing


def digit_canvas(key: str, size: int = 240) -> np.ndarray | None:
    """A square canvas, white ink on black as in MNIST; the drawing as (size, size, 4) uint8 RGBA, or None before
    anything was drawn. The brush is size/12 wide: once the digit is scaled to MNIST's 20-pixel box its strokes are
    ~2 pixels wide, like MNIST's. The toolbar under the canvas has undo, redo and clear."""
    result = st_canvas(stroke_width=max(4, size // 12), stroke_color="#FFFFFF", background_color="#000000",
                       width=size, height=size, drawing_mode="freedraw", key=key, return_image_data=True)
    return result.image_data


def drawing_as_input(rgba: np.ndarray | None, layout: DigitLayout) -> torch.Tensor | None:
    """The drawing as the model's input (1, 1, H, W), made like the dataset's own images (layout); or None after
    saying why (nothing drawn yet, an empty canvas)."""
    if rgba is None:
        st.caption("Draw a digit with the mouse (or a finger): it is cropped, scaled to the box the dataset's digits "
                   "fill and centred by its centre of mass, as MNIST's digits were.")
        return None
    try:
        return preprocess_drawing(rgba, layout.image_size, layout)
    except EmptyDrawingError as err:
        st.info(str(err))
        return None
