"""The Generate page's live temperature: the VAE's grid of samples decoded in the browser while the temperature is
dragged, for the page's fixed noise vectors (z = T * eps, eps ~ N(0, I) from the page's seed), so the samples stay
the same samples and only their spread changes. The released temperature becomes the page's, and every grid follows.
Its slider is the page's only temperature control; where the grid cannot run live, the page draws its own slider.
"""
from __future__ import annotations

import streamlit as st

from aelab.analysis.paths import sample_prior
from ui.common.view_state import Bound
from ui.components import live_decoder as live

KEY = "generate_live"
LOW, HIGH, STEP = 0.1, 2.0, 0.01


def take_released_temperature(view: Bound, record) -> None:
    """Call before the page's temperature slider is drawn in the run: a temperature released in the browser becomes
    the view's (and so the slider's)."""
    model = live.live_model(record) if live.unavailable_reason(record) is None else None
    released = live.released(KEY, model) if model is not None else None
    if released and isinstance(released.get("temperature"), (int, float)):
        view.set(temperature=round(min(max(float(released["temperature"]), LOW), HIGH), 2))


def live_reason(record) -> str | None:
    """None when the VAE's grid can follow the temperature live; otherwise why not, in a few words."""
    return live.unavailable_reason(record)


def live_notice(reason: str) -> None:
    live.notice(reason)


def live_temperature(record, side: int, temperature: float, seed: int) -> None:
    """The live grid of side x side VAE samples with its temperature slider (call when live_reason is None)."""
    model = live.live_model(record)
    eps = sample_prior(side * side, model.latent_dim, 1.0, seed)  # vae_prior_samples' codes are temperature * eps
    spec = {"eps": eps.tolist(), "cols": side, "scale": 3 if side <= 6 else 2, "temperature": temperature,
            "low": LOW, "high": HIGH, "step": STEP, "label": "Temperature",
            "caption": f"{record.name}: the same {side * side} noise vectors (seed {seed}) times the temperature; "
                       "the samples follow the slider as you drag, and every grid below when you let go."}
    with st.container(key="generate_live_grid"):
        live.live_decoder(KEY, "grid", spec, model)
