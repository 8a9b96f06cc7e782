"""The Playground's "draw your own" plane: the clicked points (the page view's, so they come back and travel in a
link) drawn on an image of the plane, and a click's pixel made into plane coordinates (streamlit-image-coordinates
returns the pixel of each click on an image; Plotly does not report clicks on empty space)."""
from __future__ import annotations

import numpy as np
import streamlit as st
from PIL import Image, ImageDraw
from streamlit_image_coordinates import streamlit_image_coordinates

from aelab.data.toy import PLANE
from ui.common.session import session
from ui.common.view_state import Bound

SIDE = 360  # pixels of the picture; shown at its column's width when that is narrower (see draw_plane)
WIDGET_KEY = "pg_draw"


def to_plane(x: float, y: float, width: float = SIDE, height: float = SIDE) -> tuple[float, float]:
    """Pixel (x right, y down) of the picture as shown, width x height pixels -> plane coordinates (y up)."""
    low, high = PLANE
    return low + (high - low) * x / width, high - (high - low) * y / height


def to_pixel(point, side: int = SIDE) -> tuple[float, float]:
    low, high = PLANE
    return (point[0] - low) / (high - low) * side, (high - point[1]) / (high - low) * side


def plane_image(clicks: list[tuple[float, float]], side: int = SIDE) -> Image.Image:
    """A white plane with a grid every unit, the path through the clicks and the clicks themselves."""
    image = Image.new("RGB", (side, side), "white")
    pen = ImageDraw.Draw(image)
    for value in np.arange(PLANE[0], PLANE[1] + 1e-9, 1.0):
        (px, py) = to_pixel((value, value), side)
        colour = "#999999" if abs(value) < 1e-9 else "#e3e3e3"
        pen.line([(px, 0), (px, side)], fill=colour)
        pen.line([(0, py), (side, py)], fill=colour)
    pixels = [to_pixel(c, side) for c in clicks]
    if len(pixels) > 1:
        pen.line(pixels, fill="#88CCEE", width=2)
    for px, py in pixels:
        pen.ellipse([px - 4, py - 4, px + 4, py + 4], fill="#332288")
    return image


def draw_plane(view: Bound) -> None:
    """The clickable plane, and Undo / Clear. A new click is added once (the component repeats its last value)."""
    points = list(view.value("points"))
    # width="stretch": the picture at its column's width (at 1280 px with the sidebar open the column is ~265 px
    # wide, and the 360 px picture showed its left 265 px only: the component's "content" width does not shrink it);
    # a click comes back in the pixels shown, with the width and height shown
    value = streamlit_image_coordinates(plane_image(points), key=WIDGET_KEY, cursor="crosshair", width="stretch")
    click = (value.get("x"), value.get("y"), value.get("unix_time")) if value else None
    if click is not None and click != session.playground.last_click:
        session.playground.last_click = click
        x, y = to_plane(float(value["x"]), float(value["y"]), float(value.get("width") or SIDE),
                        float(value.get("height") or SIDE))
        view.set(points=(*points, (round(x, 2), round(y, 2))))
        st.rerun()  # draw the image again with the new point on it
    with st.container():  # after the iframe: its elements can change without remounting the plane blank
        undo, clear = st.columns(2)
        if undo.button("Undo last point", key="pg_undo", disabled=not points, icon=":material/undo:"):
            view.set(points=tuple(points[:-1]))
            st.rerun()
        if clear.button("Clear", key="pg_clear", disabled=not points, icon=":material/delete:"):
            view.set(points=())
            st.rerun()
        view.show("points")
        st.caption(f"{len(points)} point{'s' if len(points) != 1 else ''} drawn. Click along a path: the points, "
                   "joined in the order you click them, are the clean curve; the training points are scattered "
                   "along it with the noise below.")
