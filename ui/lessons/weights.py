"""Lessons, section "First-layer weights": each first-layer unit's weights drawn as an image, two models side by
side."""
from __future__ import annotations

import streamlit as st

from aelab.errors import AelabError
from ui.common import present
from ui.common.selection import current_model, load_model_key, model_choices
from ui.common.view_state import Bound
from ui.lessons.common import weight_picture

INTRO = ("Each unit of an encoder's first layer computes a weighted sum of the pixels; drawing its weights as an "
         "image shows **what pattern it responds to** (orange: bright here raises the unit; blue: bright here "
         "lowers it). A plain AE's units are often noisy, global blobs; a **denoising** AE, which must fill in "
         "dropped pixels from their neighbours, tends to learn localized **stroke detectors**, as in Vincent et al. "
         "(2008). Conv AEs show their first layer's small kernels instead.")
DEFAULT_OTHER = "pretrained/denoising_ae"
FORMULA = (r"h_j = \sigma\big(w_j^\top x + b_j\big) = \sigma\Big(\sum_{u,v} W_j(u, v)\, x(u, v) + b_j\Big); "
           r"\qquad \text{conv: } h_c(u, v) = \sigma\Big(\sum_{a,b} K_c(a, b)\, x(u + a, v + b) + b_c\Big)")


def render(view: Bound, dataset) -> None:
    st.subheader("What the encoder's first layer learned")
    present.intro(INTRO)
    record = current_model()
    if record is None:
        st.latex(FORMULA)
        st.info("No model fits this dataset yet: train one on the Train page, or choose another dataset.")
        return
    choices = model_choices(dataset.image_size)
    keys = list(choices.values())
    labels = {v: k for k, v in choices.items()}
    with present.secondary("The formula, and what is shown"):
        st.latex(FORMULA)
        if not present.presenting():
            st.caption("Each tile is one unit's weights W_j (a dense layer's row of w_j reshaped to the image, or a "
                       "conv layer's kernel K_c), drawn where the unit looks; units are shown strongest first, by "
                       "the norm of their weights ||w_j||.")
        c1, c2, c3 = st.columns([2, 1, 1])
        default = DEFAULT_OTHER if DEFAULT_OTHER in keys else keys[0]
        other_key = view.selectbox("weights_other", "Compare with", keys, where=c1, key="lessons_other_model",
                                   default=default, format_func=labels.get)
        n_tiles = view.select_slider("weights_tiles", "Units shown", (16, 32, 64, 128), where=c2,
                                     key="lessons_n_tiles")
        diverging = view.radio("weights_colours", "Colours", ["diverging", "grey"], where=c3,
                               key="lessons_tile_colours", horizontal=True) == "diverging"
    try:
        other = load_model_key(other_key)
    except (AelabError, KeyError) as err:
        st.error(f"Could not load {other_key}: {err}")
        return
    with present.main_picture():  # (the columns are filled below, inside it)
        left, right = st.columns(2, gap="large")
    for column, shown, note in ((left, record, "the sidebar's model"), (right, other, "chosen above")):
        with column:
            picture, what, count = weight_picture(shown.model, n_tiles, diverging)
            st.markdown(f"**{shown.name}** ({shown.variant}, {note})")
            st.image(picture, caption=f"{what}: the {count} with the largest weights, "
                                      "each scaled to its own range", width="stretch")
    st.caption("Units are ordered by the size of their weights (the most active first). Change the left model in "
               "the sidebar; the pretrained *ae* and *denoising_ae* have the same architecture and differ only in "
               "the noise they were trained with.")

