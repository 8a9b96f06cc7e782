"""The home page's Interpolate card: a pixel blend over the decoded latent path between two test digits.

Kept apart from ui/interpolate.py so the home page loads only what its small picture needs."""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from aelab.analysis.images import grid
from aelab.analysis.latent import decode, encode_dataset
from aelab.analysis.paths import interpolate, pixel_blend
from ui.common import cache

STEPS = 7


@st.cache_data(show_spinner=False, max_entries=16)
def _card_rows(identity: str, _model, _x_test: torch.Tensor, _y_test: torch.Tensor) -> np.ndarray:
    """The first test digit and the first one with another label: pixel blend (top row), decoded linear path."""
    differs = torch.nonzero(_y_test != _y_test[0]).flatten()
    other = int(differs[0]) if len(differs) else min(1, len(_x_test) - 1)
    x_a, x_b = _x_test[0:1], _x_test[other:other + 1]
    z_a, z_b = encode_dataset(_model, torch.cat([x_a, x_b]))
    rows = torch.cat([pixel_blend(x_a, x_b, STEPS), decode(_model, interpolate(z_a, z_b, STEPS))])
    return grid(rows, ncol=STEPS, scale=2)


def draw_home_card() -> None:
    from ui.common.selection import current_dataset, current_model

    record, dataset = current_model(), current_dataset()
    if record is None or len(dataset.x_test) == 0:
        return
    picture = _card_rows(cache.key(record, dataset), record.model, dataset.x_test, dataset.y_test)
    st.image(picture, width="content", caption="pixel blend (top) vs. decoded latent path (bottom)")
