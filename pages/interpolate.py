"""Interpolate: pixel space blends, latent space morphs."""
import streamlit as st
import torch

from aelab.analysis.paths import first_index_with_new_label
from aelab.views.pages import InterpolateView
from ui.common import present
from ui.common.lesson_file import lesson_controls
from ui.common.pickers import pick_image, selection_button
from ui.common.selection import current_dataset, require_model
from ui.common.view_state import open_view
from ui.common.widgets import show_grid
from ui.interpolate import (
    live_scrub,
    live_triangle,
    rows_section,
    triangle_images,
    triangle_picture,
)

view = open_view(InterpolateView)  # what this page shows: kept across pages, and in its link

st.title("Interpolate between two images")
present.intro("Blend two digits **pixel by pixel** and you get two ghosts on top of each other. Encode them, walk in a "
            "straight line between their **codes** and decode each step, and one digit morphs into the other: the "
            "decoder only makes images like the ones it learnt.")

dataset, record = current_dataset(), require_model()
model = record.model
lesson_controls("interpolate", view, record, dataset)

with present.secondary("Images A and B"):
    pick_a, pick_b = st.columns(2, gap="large")
    with pick_a:
        picked_a = pick_image(view, "a", "interpolate_a", dataset, "Image A", default_index=0, allow_drawing=False)
    with pick_b:
        picked_b = pick_image(view, "b", "interpolate_b", dataset, "Image B", default_index=1, allow_drawing=False)
    selection_button(view, ["a", "b"], dataset.y_test, "interpolate_use_selection", dataset.name)
if picked_a is None or picked_b is None:
    st.stop()
if picked_a.signature == picked_b.signature:
    st.info("A and B are the same image, so every frame is the same: pick another image for B.")

if not present.presenting():
    st.subheader("From A to B")
live_scrub(view, record, picked_a.x, picked_b.x, (picked_a.description, picked_b.description))
rows_section(view, record, dataset, picked_a.x, picked_b.x, (picked_a.description, picked_b.description))

st.subheader("Three-way mixtures")
st.markdown("Add a third image C: each image in the triangle is decoded from w_A z_A + w_B z_B + w_C z_C "
            "(weights >= 0 summing to 1), A at the top, B bottom left, C bottom right.")
pick_c, triangle_col = st.columns([2, 3], gap="large")
with pick_c:
    default_c = first_index_with_new_label(dataset.y_test, [0, 1])
    picked_c = pick_image(view, "c", "interpolate_c", dataset, "Image C", default_index=default_c,
                          allow_drawing=False)
    side = view.slider("side", "Images per side", 3, 9, key="interpolate_triangle_steps")
    selection_button(view, ["a", "b", "c"], dataset.y_test, "interpolate_use_selection_3", dataset.name)
if picked_c is not None:
    corners = torch.cat([picked_a.x, picked_b.x, picked_c.x])
    with triangle_col:
        show_grid(corners, ncol=3, scale=3)
        st.caption(f"A, B, C: {picked_a.description}, {picked_b.description}, {picked_c.description}")
        st.image(triangle_picture(triangle_images(model, corners, side), side), width="content")
        st.caption(f"{side * (side + 1) // 2} decoded mixtures: A at the top, B bottom left, C bottom right.")
    st.markdown("**Move inside the triangle** and watch the mixture change.")
    live_triangle(view, record, corners)
