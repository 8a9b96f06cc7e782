"""Traverse: slowly change one latent variable, keep all the others fixed, and watch the decoded image."""
import streamlit as st
import torch

from aelab.analysis.latent import dimension_importance, importance_order, latent_name
from aelab.analysis.paths import dimension_ranges, slider_bounds, widen_to_include
from aelab.views.pages import TraverseView
from ui.common import present
from ui.common.lesson_file import lesson_controls
from ui.common.pickers import codes_for, kl_for, pick_image, selection_button
from ui.common.selection import current_dataset, require_model
from ui.common.view_state import open_view
from ui.common.widgets import show_grid
from ui.traverse import grid_exports, grid_picture, slider_panel, sweep_frames
from ui.variants import VQ_NOT_SAMPLED

view = open_view(TraverseView)  # what this page shows: kept across pages, and in its link

RANGE_MODES = {"std": "mean ± k std of the codes", "prior": "the prior's quantiles (VAE)",
               "minmax": "the data's min .. max"}

st.title("Traverse the latent space")
present.intro("Each image is decoded from a **code** of a few numbers. Change **one** of them, keep the others fixed, "
            "and see what that number controls: a stroke's slant, its thickness, which digit it is... The sliders "
            "are ordered by how much the model uses each dimension.")

dataset, record = current_dataset(), require_model()
if len(dataset.x_test) == 0:
    st.error(f"{dataset.name} has no test images to start from: choose another dataset in the sidebar.")
    st.stop()
if record.model_config.quantized:
    st.info(f"{record.name} is a VQ-VAE: {VQ_NOT_SAMPLED} Its codebook is on the Generate page.")
    st.stop()
model, variational = record.model, record.model_config.variational
lesson_controls("traverse", view, record, dataset)
codes = codes_for(record, dataset)
kl = kl_for(record, dataset)
scores = dimension_importance(codes, kl)
order = importance_order(scores)

with present.secondary("The start image and the sliders' range"):
    pick_col, start_col = st.columns([3, 2], gap="large")
    with pick_col:
        picked = pick_image(view, "start", "traverse_start", dataset, "Start from",
                            on_change=lambda: view.set(z=None))  # a new start image: every slider on its code
        selection_button(view, ["start"], dataset.y_test, "traverse_use_selection", dataset.name,
                         on_change=lambda: view.set(z=None))
        mode_col, k_col = st.columns([3, 2])
        mode = view.radio("range", "Slider range", list(RANGE_MODES), where=mode_col, key="traverse_range",
                          format_func=RANGE_MODES.get, horizontal=True)
        k = view.number_input("k", "k", 0.5, 10.0, where=k_col, key="traverse_k", step=0.5,
                              disabled=mode == "minmax", help="Half-width of the range in standard deviations.")
    if picked is None:
        st.stop()
    with torch.no_grad():
        z0 = model.encode(picked.x)[0]
    with start_col:
        show_grid(torch.cat([picked.x, model.decode(z0.unsqueeze(0)).detach().clamp(0, 1)]), ncol=2, scale=5,
                  caption=f"{picked.description} and its reconstruction")

if mode == "prior" and not variational:
    st.info(f"{record.name} is not a VAE: nothing pulled its codes towards the N(0, 1) prior, so the prior's range "
            "may miss where its codes live. Showing it anyway; compare with 'mean ± k std'.")
low, high = widen_to_include(*dimension_ranges(codes, mode, k), z0)
lows, highs = slider_bounds(low, high)

score_name = "KL" if kl is not None else "var"
if not present.presenting():
    st.subheader("One slider per dimension")
    ordered_by = ("average KL over the test images (what a VAE uses)" if kl is not None
                  else "the variance of the codes over the test images")
    st.caption(f"Ordered by {ordered_by}; a slider starts at the image's own code.")
slider_panel(view, record, z0, order, scores, score_name, lows, highs)

st.subheader("Traversal grid")
rows_col, steps_col, dim_col = st.columns(3)
n_rows = view.slider("rows", "Rows (top dimensions)", 1, len(order), where=rows_col, key="traverse_grid_rows",
                     default=min(8, len(order)))
steps = view.widget("cols", steps_col.slider, "Columns", 3, 15, step=2, key="traverse_grid_steps",
                    options=range(3, 16, 2))
sweep_dim = view.selectbox("gif", "Dimension for the GIF", order, where=dim_col, key="traverse_gif_dim",
                           default=order[0], format_func=latent_name)
picture, _ = grid_picture(model, z0, order[:n_rows], torch.tensor(lows), torch.tensor(highs), steps)
st.image(picture, width="content", output_format="PNG",
         caption=f"Rows, top to bottom: {', '.join(latent_name(d) for d in order[:n_rows])}. Each row sweeps one "
                 "dimension from its low to its high value; the framed centre column is the original code.")
frames = sweep_frames(model, z0, sweep_dim, lows[sweep_dim], highs[sweep_dim], 17,
                      present.gif_scale(dataset.image_size))
grid_exports(picture, frames, sweep_dim, record.name)
