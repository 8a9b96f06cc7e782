"""The Playground's knobs: which toy set (or your own drawing), how many points and how noisy, which variant and its
few settings. Widgets bound out of range refuse nothing silently: whatever reaches aelab is validated there too."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from aelab.data.toy import DRAWN, N_RANGE, NOISE_RANGE, TOY_SETS, ToyData, from_drawing, make_toy
from aelab.errors import AelabError
from aelab.models.variants import TOY_VARIANTS
from aelab.views.pages import PlaygroundView
from ui.common.view_state import Bound
from ui.playground.drawing import draw_plane

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


def page_view() -> Bound[PlaygroundView]:
    """The page's view (pages/playground.py opens it first in every run)."""
    return Bound(PlaygroundView)


def data_controls() -> tuple[ToyData | None, str | None]:
    view = page_view()
    # A set's own noise level is the noise knob's value until it is changed, and again after another set is chosen
    name = view.selectbox("data", "Data", list(SET_LABELS), key="pg_set", format_func=SET_LABELS.get,
                          on_change=lambda: view.set(noise=None),
                          help="Toy sets you can see whole. 3-D sets are shown in a 3-D view you can rotate.")
    if name in TOY_SETS:
        st.caption(TOY_SETS[name].description)
    else:
        draw_plane(view)
    n_col, noise_col, seed_col = st.columns(3)
    n = view.number_input("n", "Points", N_RANGE[0], N_RANGE[1], where=n_col, key="pg_n", step=100)
    noise = view.number_input("noise", "Noise", float(NOISE_RANGE[0]), float(NOISE_RANGE[1]), where=noise_col,
                              key="pg_noise", default=TOY_SETS[name].default_noise if name in TOY_SETS else 0.05,
                              step=0.01, help="The data's own noise: standard deviation of the Gaussian added to each "
                                              "point of the clean curve, in the set's units (the circle's radius is "
                                              "1).")
    seed = view.number_input("seed", "Seed", 0, 10_000, where=seed_col, key="pg_seed")
    try:
        if name == DRAWN:
            return _drawn(tuple(view.view.points), int(n), float(noise), int(seed)), None
        return _toy(name, int(n), float(noise), int(seed)), None
    except AelabError as err:
        return None, str(err)


def model_controls() -> tuple[str, dict, dict]:
    """The variant and its knobs -> (variant, model changes, train changes)."""
    view = page_view()
    variant = view.selectbox("variant", "Model", list(TOY_VARIANTS), key="pg_variant",
                             format_func=lambda v: v.replace("_", " "),  # another variant: its own settings
                             on_change=lambda: view.set(epochs=None, lr=None, sigma=None, beta=None, contractive=None))
    spec = TOY_VARIANTS[variant]
    st.caption(spec.description)
    model: dict = {}
    train: dict = {}
    if spec.model.is_baseline:
        return variant, model, train
    epochs_col, lr_col = st.columns(2)
    train["epochs"] = int(view.number_input("epochs", "Epochs", 1, 2000, where=epochs_col, key="pg_epochs",
                                            default=spec.train.epochs))
    train["lr"] = float(view.number_input("lr", "Learning rate", 1e-4, 1.0, where=lr_col, key="pg_lr",
                                          default=spec.train.lr, step=1e-3, format="%.4f"))
    if spec.train.noise == "gaussian":
        train["noise_level"] = float(view.number_input(
            "sigma", "Corruption sigma", 0.01, 3.0, key="pg_corruption", default=spec.train.noise_level, step=0.05,
            help="The denoising AE's own noise, apart from the data's: during training each point is moved by "
                 "N(0, sigma^2 I) (in standardised units) and the model must put it back where it was."))
    if spec.model.variational:
        train["beta"] = float(view.number_input(
            "beta", "beta (KL weight)", 0.0, 10.0, key="pg_beta", default=spec.train.beta, step=0.01, format="%.3f",
            help="Weight of KL(q(z|x) || N(0, I)) against the squared error. Larger: a smoother code, blurrier "
                 "reconstructions."))
    if spec.train.contractive_weight > 0:
        train["contractive_weight"] = float(view.number_input(
            "contractive", "Contraction weight", 0.0, 100.0, key="pg_contractive",
            default=spec.train.contractive_weight, step=0.1,
            help="Weight of ||df/dx||_F^2, the encoder's sensitivity to its input."))
    return variant, model, train
