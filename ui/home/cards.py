"""Home's cards: a small picture per page, drawn without torch.

The pictures of a model come from the arrays kept beside it (aelab.analysis.cards: shipped with the pretrained
models, keyed by the data's identity and the weights file); where there are none for this data and these weights (a
model trained here, an upload, a conditional model), they are computed here on first use, which imports torch and
loads the model, cached by identity, and kept in a library model's folder for the next start. The Train card draws
the model's saved history; the Playground and Known factors cards draw toy points and rendered shapes (numpy).
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from aelab.analysis import cards
from aelab.analysis.images import enlarge, grid
from aelab.analysis.sketches import Curve, line_sketch, reconstruction_sketch, scatter_sketch
from aelab.errors import AelabError
from aelab.library.store import read_history
from aelab.runtime.identity import is_named_source
from ui.common import cache
from ui.common.selection import (
    DataSummary,
    bundled_or_cached_dataset,
    current_data,
    current_dataset,
    list_models,
    listed_model,
    load_model_key,
    session_models,
    source_summary,
    variational_keys,
)
from ui.common.session import session
from ui.common.widgets import PALETTE, label_colour

STEPS = cards.STEPS


# ------------------------------------------------------------------------------------------------ the arrays
def _arrays(key: str, data: DataSummary, kinds: tuple[str, ...]) -> dict[str, np.ndarray] | str:
    """The card arrays of kinds for model key on data: read from the model's folder when they are there for this
    data and these weights, else computed. A string says why there are none (a model that fails to load)."""
    info = listed_model(key)
    if info is not None and info.model_config is not None and not info.model_config.n_classes:
        found = cards.read_cards(info.path, data.identity, info.weights_sha256)
        if all(kind in found for kind in kinds):
            return found
    try:
        record = load_model_key(key)
        dataset = current_dataset() if data == current_data() else bundled_or_cached_dataset(data.name)
    except (AelabError, KeyError) as err:
        return str(err) or f"{key} is gone"
    # every card of the model at once (~1 s): the other cards on this Home need them too, and the file keeps them all
    every = tuple(dict.fromkeys((*kinds, *cards.kinds_for(record.model_config, record.train_config))))
    arrays = _computed(cache.key(record, dataset), record, dataset, every)
    keep = info is not None and info.source == "library" and is_named_source(data.identity)
    if keep and not record.model_config.n_classes:
        try:  # for the next start of the server: Home draws them from the file, without torch
            cards.write_cards(info.path, arrays, data.identity, info.weights_sha256)
        except AelabError:
            pass  # a read-only library: computed again after a restart
    return arrays


@st.cache_data(show_spinner="Drawing this model's pictures...", max_entries=32)
def _computed(identity: str, _record, _dataset, kinds: tuple[str, ...]) -> dict[str, np.ndarray]:
    return cards.card_arrays(_record.model, _dataset, kinds)


def _pictures(key: str | None, kinds: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """The current model's arrays of kinds on the current data, or None (with a caption saying why)."""
    if key is None:
        return None
    arrays = _arrays(key, current_data(), kinds)
    if isinstance(arrays, str):
        st.caption(f"(no picture: {arrays})")
        return None
    return arrays


def _images(images: np.ndarray, ncol: int, caption: str, scale: int = 2) -> None:
    st.image(grid(images.astype(np.float32) / 255, ncol=ncol, scale=scale), width="content", caption=caption)


def _name(key: str) -> str:
    return key.partition("/")[2]


# ------------------------------------------------------------------------------------------------- the cards
def draw_train_card() -> None:
    """How the current model's reconstruction loss fell while it trained (its saved history)."""
    key = session.model_key
    if key is None:
        return
    info = listed_model(key)
    record = session_models().get(_name(key)) if info is None else None  # a session's model: torch is loaded
    history = read_history(info.path) if info is not None else getattr(record, "history", [])
    terms = [t for t in ("recon", "mse") if history and t in history[0].get("train", {})][:1]
    if not terms:
        st.caption("This model has no training history to show.")
        return
    # A picture, not a Plotly chart: Home shows no Plotly at all (aelab.analysis.sketches says why)
    term, epochs = terms[0], [h["epoch"] for h in history]
    curves = [Curve(epochs, [h["train"].get(term) for h in history], PALETTE[0])]
    tested = bool(history[0].get("val"))
    if tested:
        curves.append(Curve(epochs, [(h.get("val") or {}).get(term) for h in history], PALETTE[0], dashed=True))
    st.image(line_sketch(curves, width=480, height=200), width="stretch")
    st.caption(f"{_name(key)}: reconstruction loss per epoch, "
               + ("train (solid) and test (dashed)" if tested else "train"))


def draw_latent_card() -> None:
    """A small PCA map of 500 test codes of the current model, coloured by label."""
    arrays = _pictures(session.model_key, ("latent",))
    if arrays:
        # A picture, not a Plotly chart: Home shows no Plotly at all (aelab.analysis.sketches says why)
        colours = [label_colour(int(label)) for label in arrays["latent_labels"]]
        st.image(scatter_sketch(arrays["latent"], colours, width=480, height=260), width="stretch",
                 caption=f"{len(colours)} test codes by PCA, one colour per class")


def draw_traverse_card() -> None:
    arrays = _pictures(session.model_key, ("traverse",))
    if arrays:
        _images(arrays["traverse"], STEPS, "the two most used dimensions, each swept (centre: the digit's own code)")


def draw_interpolate_card() -> None:
    arrays = _pictures(session.model_key, ("interpolate",))
    if arrays:
        _images(arrays["interpolate"], STEPS, "pixel blend (top) vs. decoded latent path (bottom)")


def draw_generate_card() -> None:
    """A few samples from the current VAE's prior (or the pretrained vae's, or another VAE's for these images)."""
    current = session.model_key
    vaes = variational_keys(current_data().image_size)  # a session's own VAEs too: their samples are theirs
    if not vaes:
        st.caption("(needs a VAE for these images)")
        return
    key = current if current in vaes else ("pretrained/vae" if "pretrained/vae" in vaes else vaes[0])
    arrays = _pictures(key, ("generate",))
    if arrays:
        _images(arrays["generate"], cards.SAMPLES, f"random codes decoded by {key}")


def draw_restore_card() -> None:
    arrays = _pictures(session.model_key, ("restore",))
    if arrays:
        _images(arrays["restore"], cards.SHOWN, "a box over each digit (top), filled in by the current model (bottom)")


def draw_anomalies_card() -> None:
    arrays = _pictures(session.model_key, ("anomalies",))
    if arrays:
        _images(arrays["anomalies"], cards.SHOWN,
                "the test images the model finds most typical (top) and least typical (bottom)")


def draw_applications_card() -> None:
    """One test digit at half size, the shipped super-resolver's upscaling (whatever the sidebar holds), the
    original: the model is the shipped one trained on the lowres corruption, on its own data."""
    found = next((info for info in list_models() if info.source == "pretrained" and info.train_config is not None
                  and info.train_config.noise == "lowres" and not info.error), None)
    data = source_summary(found.dataset) if found is not None else None
    if found is None or data is None:
        st.caption("(the shipped super-resolution model is missing)")
        return
    arrays = _arrays(f"pretrained/{found.name}", data, ("superres",))
    if isinstance(arrays, str):
        st.caption(f"(no picture: {arrays})")
    else:
        _images(arrays["superres"], 3, "14x14 in, the autoencoder's 28x28 out, the original", scale=3)


def draw_lessons_card() -> None:
    key = session.model_key
    arrays = _pictures(key, ("lessons",))
    if arrays:
        st.image(enlarge(arrays["lessons"], int(arrays["lessons_scale"])),
                 caption=f"{_name(key)}: its 16 strongest first-layer units (blue negative, orange positive)")


@st.cache_data(show_spinner=False)
def _toy_picture() -> np.ndarray:
    """Two moons and the line PCA, the linear autoencoder with a 1-number code, squeezes them onto."""
    from aelab.data.toy import make_toy

    points = make_toy("moons", n=300, seed=0).points.astype(np.float64)
    centre = points.mean(axis=0)
    direction = np.linalg.svd(points - centre, full_matrices=False)[2][0]  # the first principal axis
    rebuilt = centre + np.outer((points - centre) @ direction, direction)
    return reconstruction_sketch(points, rebuilt, PALETTE[0], PALETTE[6], width=480, height=240)


def draw_playground_card() -> None:
    st.image(_toy_picture(), width="stretch",
             caption="two moons (blue), each joined to what PCA, a linear autoencoder with a 1-number code, rebuilds "
                     "(rose): a line; the Playground trains ones that bend")


@st.cache_data(show_spinner=False)
def _factor_rows() -> np.ndarray:
    """Each factor of the shapes source swept with the others fixed, one row per factor, left-aligned."""
    from aelab.data.shapes import one_factor_at_a_time

    rows = [grid(images.astype(np.float32) / 255, ncol=len(images), scale=1)
            for images in one_factor_at_a_time().values()]
    width = max(row.shape[1] for row in rows)
    return np.vstack([np.pad(row, ((0, 0), (0, width - row.shape[1])), constant_values=255) for row in rows])


def draw_factors_card() -> None:
    st.image(enlarge(_factor_rows(), 2), width="content",
             caption="shapes drawn from five known factors: shape, scale, rotation, x, y (one per row)")
