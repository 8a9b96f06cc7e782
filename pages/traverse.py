"""Traverse: slowly change one latent variable, keep all the others fixed, and watch the decoded image."""
import streamlit as st
import torch

from aelab.analysis.latent import dimension_importance, importance_order, latent_name
from aelab.analysis.paths import dimension_ranges, widen_to_include
from ui.common import cache, present
from ui.common.legacy_pages import leave_legacy_mode
from ui.common.pickers import codes_for, kl_for, pick_image, selection_button
from ui.common.selection import current_dataset, require_model
from ui.common.url_state import bind
from ui.common.widgets import show_grid
from ui.traverse import grid_exports, grid_picture, slider_bounds, slider_panel, start_code, sweep_frames
from ui.variants import VQ_NOT_SAMPLED

leave_legacy_mode()  # a deep link to a fresh server runs this file alone: go through app.py

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
codes = codes_for(record, dataset)
kl = kl_for(record, dataset)
scores = dimension_importance(codes, kl)
order = importance_order(scores)

with present.secondary("The start image and the sliders' range"):
    pick_col, start_col = st.columns([3, 2], gap="large")
    with pick_col:
        picked = pick_image("traverse_start", dataset, "Start from", url_param="start")
        selection_button(["traverse_start"], dataset.y_test, "traverse_use_selection", dataset.name)
        mode_col, k_col = st.columns([3, 2])
        mode = mode_col.radio("Slider range", list(RANGE_MODES), format_func=RANGE_MODES.get, horizontal=True,
                              key=bind("traverse_range", "range", "std", options=list(RANGE_MODES)))
        k = k_col.number_input("k", min_value=0.5, max_value=10.0, step=0.5,
                               key=bind("traverse_k", "k", 3.0, low=0.5, high=10.0),
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
start_code(z0, f"{cache.key(record)}|{picked.signature}", lows, highs)  # new weights start afresh too

score_name = "KL" if kl is not None else "var"
if not present.presenting():
    st.subheader("One slider per dimension")
    ordered_by = ("average KL over the test images (what a VAE uses)" if kl is not None
                  else "the variance of the codes over the test images")
    st.caption(f"Ordered by {ordered_by}; a slider starts at the image's own code.")
slider_panel(record, z0, order, scores, score_name, lows, highs)

st.subheader("Traversal grid")
rows_col, steps_col, dim_col = st.columns(3)
n_rows = rows_col.slider("Rows (top dimensions)", 1, len(order),
                         key=bind("traverse_grid_rows", "rows", min(8, len(order)), low=1, high=len(order)))
steps = steps_col.slider("Columns", 3, 15, step=2, key=bind("traverse_grid_steps", "cols", 9, options=range(3, 16, 2)))
sweep_dim = dim_col.selectbox("Dimension for the GIF", order, format_func=latent_name,
                              key=bind("traverse_gif_dim", "gif", order[0], options=order))
picture, _ = grid_picture(model, z0, order[:n_rows], torch.tensor(lows), torch.tensor(highs), steps)
st.image(picture, width="content", output_format="PNG",
         caption=f"Rows, top to bottom: {', '.join(latent_name(d) for d in order[:n_rows])}. Each row sweeps one "
                 "dimension from its low to its high value; the framed centre column is the original code.")
frames = sweep_frames(model, z0, sweep_dim, lows[sweep_dim], highs[sweep_dim], 17,
                      present.gif_scale(dataset.image_size))
grid_exports(picture, frames, sweep_dim, record.name)
