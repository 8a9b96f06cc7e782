"""Lessons, section "Under/over-complete": an over-complete AE copies anything, even noise; regularised ones don't."""
from __future__ import annotations

import contextlib

import pandas as pd
import streamlit as st
import torch

from aelab.analysis.latent import reconstruct
from aelab.lessons.copying import (
    CONTRACTIVE_WEIGHT,
    COPY_MODELS,
    COPY_STEPS,
    OVERCOMPLETE,
    copy_scores,
    digit_area,
    load_copy_models,
    noise_images,
    train_copy_models,
)
from ui.common import cache, present
from ui.common.view_state import Bound
from ui.common.widgets import show_grid
from ui.lessons.common import may_have_shipped, stored, task_button

N_IMAGES = 5
INTRO = (f"An **under-complete** code (fewer numbers than pixels) forces an autoencoder to keep only what matters. "
         f"An **over-complete** one ({OVERCOMPLETE} numbers for fewer pixels) can simply **copy** its input, and "
         "then it has learned nothing about digits: it reproduces pure noise it never saw. A **denoising** AE "
         "(trained to restore digits with half their pixels dropped) or a **contractive** AE (penalised for "
         "how much its code moves when the input moves) of the very same size cannot get away with copying.")
FORMULA = (r"\hat x = W^\top (W x + b) + c, \qquad \text{contractive: } "
           r"\lambda \left\lVert \tfrac{\partial z}{\partial x} \right\rVert_F^2 = \lambda \lVert W \rVert_F^2")


@st.cache_resource(show_spinner="Loading the demo models...")
def shipped(identity: str, dataset_name: str, image_size: tuple[int, int]):
    """The demo models `python -m aelab build-lessons` saved for this named dataset (identity: its name and version)."""
    return load_copy_models(dataset_name, image_size)


def render(view: Bound, dataset) -> None:
    st.subheader("Under- and over-complete")
    present.intro(INTRO)
    result_key = ("copy", ())

    def compute(on_progress, should_stop):
        return train_copy_models(dataset.x_train, on_progress, should_stop)

    models = stored(dataset, *result_key)
    origin = "trained here"
    if models is None and may_have_shipped(dataset):
        models = shipped(cache.key(dataset=dataset), dataset.name, dataset.image_size)
        origin = "built by `python -m aelab build-lessons`"
    with present.secondary("The formula, and training the models here"):
        st.latex(FORMULA)
        st.caption(f"All four share one architecture, a tied linear AE (one matrix W each way); only the code size "
                   f"and the objective differ. For this encoder the Jacobian ∂z/∂x is W, so the contractive penalty "
                   f"(λ = {CONTRACTIVE_WEIGHT}) is exactly weight decay on W.")
        task_button("copy", f"{'Retrain' if models else 'Train'} the four demo models on {dataset.name}",
                    "under/over-complete demo", dataset, result_key, compute,
                    help=f"Four models, {COPY_STEPS} training steps each: a minute or two on a CPU.")
    if models is None:
        st.info(f"No demo models for {dataset.name} yet: train them with the button above.")
        return
    _show(view, models, dataset, int(view.value("copy_noise", low=0)), origin)


@st.cache_data(show_spinner=False, max_entries=16)
def _area(identity: str, _x_train: torch.Tensor) -> torch.Tensor:
    return digit_area(_x_train)


def _show(view: Bound, models: dict, dataset, seed: int, origin: str) -> None:
    noise = noise_images(_area(cache.key(dataset=dataset), dataset.x_train), 200, seed)
    digits = dataset.x_test[:200]
    scores = copy_scores(models, digits, noise)
    labels = {spec.name: spec.label for spec in COPY_MODELS}
    short = {spec.name: spec.short for spec in COPY_MODELS}
    table = pd.DataFrame([(labels[name], s["digits"], s["noise"]) for name, s in scores.items()],
                         columns=["model", "test digits: MSE", "noise: MSE"])
    pictures, numbers = present.picture_first()  # presenting, the reconstructions first
    with numbers:
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.4f") for c in table.columns[1:]})
        over, dae, cae = (scores["over-complete"]["noise"], scores["denoising"]["noise"],
                          scores["contractive"]["noise"])
        st.markdown(f"The plain over-complete AE reconstructs **noise** with MSE **{over:.4f}**, "
                    f"{dae / over:.1f}x lower than the denoising AE ({dae:.4f}) and {cae / over:.1f}x lower than the "
                    f"contractive AE ({cae:.4f}): it copies whatever it is shown, while the regularised ones keep "
                    "only what digits are made of and turn noise into a smudge.")
        st.caption(f"Models {origin}. MSE per pixel over 200 test digits and 200 noise images: uniform noise on the "
                   "pixels that vary in the training digits (elsewhere every training image is black, so no model "
                   "can learn anything there).")
    with pictures:
        _reconstructions(view, seed, models, short, noise, digits)


def _reconstructions(view: Bound, seed: int, models: dict, short: dict, noise: torch.Tensor,
                     digits: torch.Tensor) -> None:
    """Noise and test digits, each model's reconstruction beside them (the section's main picture: the noise), and
    the button that draws new noise on the noise's title line."""
    for title, x in (("Noise", noise[:N_IMAGES]), ("Test digits", digits[:N_IMAGES])):
        left, right = st.columns([3, 1], vertical_alignment="center")
        left.markdown(f"**{title}** and each model's reconstruction")
        if title == "Noise":  # a callback: the next run draws the new noise from its start
            right.button("New noise", key="lessons_new_noise", icon=":material/casino:",
                         on_click=lambda: view.set(copy_noise=seed + 1))
        with present.main_picture() if title == "Noise" else contextlib.nullcontext():
            _row_of_columns(models, short, x)


def _row_of_columns(models: dict, short: dict, x: torch.Tensor) -> None:
    """The images in a column, each model's reconstructions in a column beside them."""
    columns = st.columns(len(models) + 1)
    # Titles above rather than as image captions: a caption wider than its picture stretches (blurs) it.
    columns[0].caption("input")
    with columns[0]:
        show_grid(x, ncol=1, scale=3)
    for column, (name, model) in zip(columns[1:], models.items()):
        column.caption(short[name])
        with column:
            show_grid(reconstruct(model, x), ncol=1, scale=3)
