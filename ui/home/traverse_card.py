"""The home page's Traverse card: the first test digit's two most used latent dimensions, each swept across its
range (mean +- 3 std of the test codes) while the other dimensions stay fixed.

Kept apart from ui/traverse.py so the home page loads only what its small picture needs."""
from __future__ import annotations

import numpy as np
import streamlit as st

from aelab.analysis.images import grid
from aelab.analysis.latent import decode, dimension_importance, encode_dataset, importance_order, kl_per_dimension
from aelab.analysis.paths import dimension_ranges, traversal_grid, widen_to_include
from ui.common import cache

STEPS = 7
ROWS = 2


@st.cache_data(show_spinner=False, max_entries=16)
def _card_grid(identity: str, _model, _x_test) -> np.ndarray:
    codes = encode_dataset(_model, _x_test[:1000])
    order = importance_order(dimension_importance(codes, kl_per_dimension(_model, _x_test[:1000])))
    low, high = widen_to_include(*dimension_ranges(codes, "std", 3.0), codes[0])
    rows = traversal_grid(codes[0], order[:ROWS], low, high, STEPS, centre_on_code=True)
    return grid(decode(_model, rows), ncol=STEPS, scale=2)


def draw_home_card() -> None:
    from ui.common.selection import current_dataset, current_model

    record, dataset = current_model(), current_dataset()
    if record is None or len(dataset.x_test) == 0:
        return
    picture = _card_grid(cache.key(record, dataset), record.model, dataset.x_test)
    st.image(picture, width="content",
             caption="the two most used dimensions, each swept (centre: the digit's own code)")
