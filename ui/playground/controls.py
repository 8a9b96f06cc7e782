"""The Playground's knobs: which toy set (or your own drawing), how many points and how noisy, which variant and its
few settings. Widgets bound out of range refuse nothing silently: whatever reaches aelab is validated there too."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from aelab.data.toy import DRAWN, N_RANGE, NOISE_RANGE, TOY_SETS, ToyData, from_drawing, make_toy
from aelab.errors import AelabError
from aelab.models.variants import TOY_VARIANTS
from ui.playground.drawing import clicks, draw_plane

SET_LABELS = {**{name: spec.label for name, spec in TOY_SETS.items()}, DRAWN: "Draw your own"}


@dataclass(frozen=True)
class Settings:
    """What a new model is made of: the data (None if it cannot be made, with the reason) and the variant's knobs."""

    data: ToyData | None
    data_error: str | None
    variant: str
    model: dict
    train: dict


@st.cache_data(show_spinner=False, max_entries=64)
def _toy(name: str, n: int, noise: float, seed: int) -> ToyData:
    return make_toy(name, n=n, noise=noise, seed=seed)


@st.cache_data(show_spinner=False, max_entries=16)
def _drawn(points: tuple[tuple[float, float], ...], n: int, noise: float, seed: int) -> ToyData:
    return from_drawing(list(points), n=n, noise=noise, seed=seed)


def _on_set_change() -> None:
    """A set's own noise level becomes the noise knob's value when the set changes."""
    name = st.session_state["pg_set"]
    st.session_state["pg_noise"] = TOY_SETS[name].default_noise if name in TOY_SETS else 0.05


def data_controls() -> tuple[ToyData | None, str | None]:
    if "pg_set" not in st.session_state:
        st.session_state["pg_set"] = "spiral"
        st.session_state["pg_noise"] = TOY_SETS["spiral"].default_noise
    name = st.selectbox("Data", list(SET_LABELS), format_func=SET_LABELS.get, key="pg_set", on_change=_on_set_change,
                        help="Toy sets you can see whole. 3-D sets are shown in a 3-D view you can rotate.")
    if name in TOY_SETS:
        st.caption(TOY_SETS[name].description)
    else:
        draw_plane()
    n_col, noise_col, seed_col = st.columns(3)
    n = n_col.number_input("Points", N_RANGE[0], N_RANGE[1], 1000, step=100, key="pg_n")
    noise = noise_col.number_input("Noise", NOISE_RANGE[0], NOISE_RANGE[1], step=0.01, key="pg_noise",
                                   help="The data's own noise: standard deviation of the Gaussian added to each "
                                        "point of the clean curve, in the set's units (the circle's radius is 1).")
    seed = seed_col.number_input("Seed", 0, 10_000, 0, key="pg_seed")
    try:
        if name == DRAWN:
            return _drawn(tuple(clicks()), int(n), float(noise), int(seed)), None
        return _toy(name, int(n), float(noise), int(seed)), None
    except AelabError as err:
        return None, str(err)


def model_controls() -> tuple[str, dict, dict]:
    """The variant and its knobs -> (variant, model changes, train changes)."""
    if st.session_state.get("pg_variant") not in TOY_VARIANTS:
        st.session_state["pg_variant"] = "denoising_ae"
    variant = st.selectbox("Model", list(TOY_VARIANTS), key="pg_variant",
                           format_func=lambda v: v.replace("_", " "))
    spec = TOY_VARIANTS[variant]
    st.caption(spec.description)
    model: dict = {}
    train: dict = {}
    if spec.model.is_baseline:
        return variant, model, train
    epochs_col, lr_col = st.columns(2)
    train["epochs"] = int(epochs_col.number_input("Epochs", 1, 2000, spec.train.epochs, key=f"pg_epochs_{variant}"))
    train["lr"] = float(lr_col.number_input("Learning rate", 1e-4, 1.0, spec.train.lr, step=1e-3, format="%.4f",
                                            key=f"pg_lr_{variant}"))
    if spec.train.noise == "gaussian":
        train["noise_level"] = float(st.number_input(
            "Corruption sigma", 0.01, 3.0, spec.train.noise_level, step=0.05, key="pg_corruption",
            help="The denoising AE's own noise, apart from the data's: during training each point is moved by "
                 "N(0, sigma^2 I) (in standardised units) and the model must put it back where it was."))
    if spec.model.variational:
        train["beta"] = float(st.number_input(
            "beta (KL weight)", 0.0, 10.0, spec.train.beta, step=0.01, format="%.3f", key=f"pg_beta_{variant}",
            help="Weight of KL(q(z|x) || N(0, I)) against the squared error. Larger: a smoother code, blurrier "
                 "reconstructions."))
    if spec.train.contractive_weight > 0:
        train["contractive_weight"] = float(st.number_input(
            "Contraction weight", 0.0, 100.0, spec.train.contractive_weight, step=0.1, key="pg_contractive",
            help="Weight of ||df/dx||_F^2, the encoder's sensitivity to its input."))
    return variant, model, train
