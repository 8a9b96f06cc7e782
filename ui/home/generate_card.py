"""The Generate page's home card: a few samples from the current VAE's prior (or the pretrained vae)."""
from __future__ import annotations

import streamlit as st

from aelab.analysis.generation import vae_prior_samples
from aelab.errors import AelabError
from ui.common import cache
from ui.common.selection import current_dataset, load_model_key, variational_keys
from ui.common.session import session
from ui.common.widgets import show_grid


@st.cache_data(show_spinner=False, max_entries=8)
def _samples(identity: str, _model):
    return vae_prior_samples(_model, 8, 1.0, seed=0).images


def draw_home_card() -> None:
    current = session.model_key
    vaes = variational_keys(current_dataset().image_size)  # a session's own VAEs too: their samples are theirs
    if not vaes:
        st.caption("(needs a VAE for these images)")
        return
    key = current if current in vaes else ("pretrained/vae" if "pretrained/vae" in vaes else vaes[0])
    try:
        record = load_model_key(key)
    except (AelabError, KeyError) as err:  # listed as fine, but its weights fail their checksum when read
        st.caption(f"(the VAE {key} could not be loaded: {err})")
        return
    show_grid(_samples(cache.key(record), record.model), ncol=8, scale=2, caption=f"random codes decoded by {key}")
