"""The Train page's form: a variant and its knobs, each explained in one line; builds a validated TrainingRequest.

Knob values live in st.session_state under "knob_<field>", kept for the whole session (persist_state="session": a
trip to another page does not reset the form). They are reset to the variant's defaults when the variant or the
image size changes. The variant and the knobs are also in the link (?variant=vae&epochs=5: ui/train/link.py).

Numbers are typed into text fields and parsed here against the configs' own ranges (aelab.models.config.RANGES, as
the CLI does): st.number_input's browser side turns "1e9" into 1 for a whole number, shows "NaN" as 0 and only
colours an out-of-range value red, so the server never learns what was typed.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from aelab.data.corruption import CORRUPTION_INFO, strength_range
from aelab.data.sources import Dataset
from aelab.errors import ConfigError, ModelStoreError
from aelab.library.store import validate_name
from aelab.models.conditional import check_training_data
from aelab.models.config import NOISE_TYPES, RECON_LOSSES, ModelConfig, TrainConfig, noise_level_range
from aelab.models.ranges import RANGES, NumberRange, parse_sizes
from aelab.models.variants import VARIANTS, Variant, make_configs
from aelab.train.job import TrainingRequest
from ui.common.url_state import bind, from_link
from ui.common.viewer import own_library
from ui.common.warmup import real_server

# The Latent Space page's default map (its "Test images on the map": at most 5000): the job precomputes its UMAP.
LATENT_MAP_POINTS = 5000
LATENT_SAMPLE = 600  # test images whose codes are drawn each epoch: enough for clusters, cheap to project
PREVIEW_IMAGES = 8  # test images whose reconstructions are shown getting sharper
MIN_TRAIN = 10  # the smallest training subset offered (an upload may hold fewer images: then all of them)
MAX_VALIDATION = 2000  # validation loss each epoch on at most this many test images (full MNIST has 10,000)
VARIANT_PARAM, DEFAULT_VARIANT = "variant", next(iter(VARIANTS))  # ?variant=vae; the knobs' params: ui/train/link.py
LINKED_VARIANT_KEY = "_train_link_variant"  # the variant named in the link the session opened with


def _trained(v: Variant) -> bool:
    return not v.is_baseline


@dataclass(frozen=True)
class Knob:
    """One config field as a widget. target: which config it sets ("model" | "train"); applies: is it meaningful for
    this variant (otherwise hidden, and the variant's default is kept)."""

    field: str
    target: str
    label: str
    help: str
    applies: Callable[[Variant], bool]
    draw: Callable[..., Any]  # st.text_input (numbers, sizes) / st.selectbox (called with label, key, help)
    options: dict[str, Any]  # the widget's own arguments: the options of a selectbox


KNOBS = [
    Knob("latent_dim", "model", "Latent size",
         "How many numbers each image is squeezed into: fewer keep only the main variations; 2 shows the latent "
         "space itself, with no projection. For k-means: the number of clusters.",
         lambda v: True, st.text_input, {}),
    Knob("hidden", "model", "Hidden sizes",
         "Layer widths between image and code (MLP), or channels per stride-2 layer (conv), comma-separated; more "
         "or wider layers let the encoder bend the latent space into more complex shapes.",
         lambda v: v.model.arch in ("mlp", "conv"), st.text_input, {}),
    Knob("temperature", "model", "Temperature",
         "How soft the cluster assignment is: higher spreads each image's code over several clusters.",
         lambda v: v.model.arch == "soft_kmeans", st.text_input, {}),
    Knob("epochs", "train", "Epochs",
         "Passes over the training images: more lets the classes separate further in the latent space (and can "
         "overfit a small subset).", _trained, st.text_input, {}),
    Knob("batch_size", "train", "Batch size",
         "Images per gradient step: smaller batches take more, noisier steps per epoch.",
         _trained, st.text_input, {}),
    Knob("lr", "train", "Learning rate",
         "Adam's step size: too high and the loss jumps or becomes NaN, too low and the codes barely move.",
         _trained, st.text_input, {}),
    Knob("recon_loss", "train", "Reconstruction loss",
         "bce treats pixels as probabilities of ink (sharper digits); mse is squared error, what PCA minimises "
         "(blurrier); cb is the continuous Bernoulli, BCE with the normaliser that makes it a density on [0, 1] "
         "(its reconstruction is the distribution's mean; its ELBO is on another scale than BCE's, so compare "
         "losses only between models trained with the same one).", _trained, st.selectbox,
         {"options": RECON_LOSSES}),
    Knob("codebook_size", "model", "Codebook size K",
         "VQ-VAE: how many code vectors each slot of the code chooses from; each slot carries log2(K) bits.",
         lambda v: v.model.quantized, st.text_input, {}),
    Knob("commitment_weight", "train", "Commitment weight",
         "VQ-VAE: how hard the encoder is kept near the codes it picks (van den Oord et al. use 0.25).",
         lambda v: v.model.quantized, st.text_input, {}),
    Knob("beta", "train", "beta (KL weight)",
         "How hard codes are pulled towards a standard normal: higher gives a smoother, more overlapping latent "
         "space that random samples decode well from, and blurrier reconstructions.",
         lambda v: v.is_variational, st.text_input, {}),
    Knob("noise", "train", "Input noise",
         "Corrupt the input while the target stays clean (denoising): the code must ignore the noise, so "
         "corrupted and clean versions of an image land on the same point.", _trained, st.selectbox,
         {"options": NOISE_TYPES, "format_func": lambda n: CORRUPTION_INFO[n].label if n in CORRUPTION_INFO else n,
          "on_change": lambda: _noise_changed()}),
    Knob("noise_level", "train", "Noise level",
         "How hard the noise hits (its meaning depends on the noise type, see the label).",
         _trained, st.text_input, {}),
    Knob("sparsity_weight", "train", "L1 weight (sparsity)",
         "Penalty on the code's absolute values: most code units become 0 for each image, so each unit tends to "
         "stand for one feature.", _trained, st.text_input, {}),
    Knob("contractive_weight", "train", "Contractive weight",
         "Penalty on how much the code moves when the input moves slightly: flattens the latent space around "
         "each training image (slow: one extra backward pass per latent unit).", _trained, st.text_input, {}),
    Knob("seed", "train", "Seed",
         "Starting weights and batch order: the same seed and settings give the same model.",
         lambda v: True, st.text_input, {}),
]
KNOB_BY_FIELD = {k.field: k for k in KNOBS}
ROWS = [("latent_dim", "hidden", "temperature", "codebook_size", "seed"),
        ("epochs", "batch_size", "lr", "recon_loss"),
        ("beta", "commitment_weight", "noise", "noise_level", "sparsity_weight", "contractive_weight")]


def _as_text(value: Any) -> str:
    """A config value as the user would type it: 0.001, 20, 256, 128."""
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _noise_changed() -> None:
    """A new noise type starts at its own default strength (a box side of 10 pixels means nothing as a sigma)."""
    noise = st.session_state.get("knob_noise", "none")
    if noise in CORRUPTION_INFO:
        size = st.session_state.get("_knobs_for", (None, (28, 28)))[1]
        st.session_state["knob_noise_level"] = _as_text(float(strength_range(noise, size).default))
    else:
        st.session_state["knob_noise_level"] = "0"


def _draw_noise_level(knob: Knob, image_size: tuple[int, int]) -> None:
    """The level's label and useful values follow the chosen noise type (a sigma, a fraction, a size in pixels)."""
    noise = st.session_state.get("knob_noise", "none")
    if noise not in CORRUPTION_INFO:
        st.text_input(knob.label, key="knob_noise_level", disabled=True, persist_state="session",
                      help="Choose an input noise first.")
        return
    strength = strength_range(noise, image_size)
    st.text_input(f"Noise level: {strength.label}", key="knob_noise_level", persist_state="session",
                  help=f"{CORRUPTION_INFO[noise].description} Useful values: {strength.low:g} to {strength.high:g} "
                       f"(accepted: {noise_level_range(noise).describe()}).")


def _defaults(variant: str, image_size: tuple[int, int], n_train: int) -> dict[str, Any]:
    model, train = make_configs(variant, image_size)
    values = {}
    for knob in KNOBS:
        value = getattr(model if knob.target == "model" else train, knob.field)
        values[f"knob_{knob.field}"] = _as_text(value) if knob.draw is st.text_input else value
    values["knob_n_train"] = str(n_train)
    values["knob_name"] = _free_name(f"my-{variant.replace('_', '-')}")
    values["knob_overwrite"] = False
    return values


def _free_name(stem: str) -> str:
    """stem, or stem-2, stem-3... whichever is not in the library yet."""
    root, name, k = own_library(), stem, 1
    while (root / name).exists():
        k += 1
        name = f"{stem}-{k}"
    return name


def _reset_if_needed(variant: str, dataset: Dataset) -> None:
    """Reset knob_* to the variant's defaults when the variant or the image size changed since they were set; a
    dataset with fewer images lowers the number of training images to what it holds."""
    state = st.session_state
    marker = (variant, dataset.image_size)
    if state.get("_knobs_for") != marker:
        state.update(_defaults(variant, dataset.image_size, len(dataset.x_train)))
        state["_knobs_for"] = marker
    n = len(dataset.x_train)
    if state.get("_n_train_for") != (dataset.name, n):
        try:
            typed = float(state.get("knob_n_train", n))
        except ValueError:
            typed = math.nan
        state["knob_n_train"] = str(max(min(int(typed), n), min(MIN_TRAIN, n)) if math.isfinite(typed) else n)
        state["_n_train_for"] = (dataset.name, n)


def _n_train_range(dataset: Dataset) -> NumberRange:
    n = len(dataset.x_train)
    return NumberRange(min(MIN_TRAIN, n), n, integer=True)


def _n_train(dataset: Dataset) -> int:
    text = st.session_state.get("knob_n_train", len(dataset.x_train))
    return int(_n_train_range(dataset).parse("Training images", text))


def _accepted(field: str) -> str:
    """The range a typed number must be in, for the knob's help (the number fields no longer show bounds)."""
    if field not in RANGES:
        return ""
    return f" Accepted: {'each ' if field == 'hidden' else ''}{RANGES[field].describe()}."


def draw_variant_picker() -> Variant:
    names = list(VARIANTS)
    if "train_variant" not in st.session_state:  # whose knobs the link holds, before bind takes a bad name out of it
        st.session_state[LINKED_VARIANT_KEY] = from_link(VARIANT_PARAM) or DEFAULT_VARIANT
    name = st.selectbox("Variant", names, key=bind("train_variant", VARIANT_PARAM, DEFAULT_VARIANT, options=names),
                        persist_state="session",
                        help="Each variant is the same autoencoder with a different architecture, bottleneck or "
                             "objective; the last three are the classic methods it generalises.")
    st.caption(VARIANTS[name].description)
    return VARIANTS[name]


def draw_knobs(variant: Variant, dataset: Dataset) -> None:
    """The knobs that matter for variant, in sections (model, optimisation, objective), then data and name; drawn
    two to a row so the form fits beside the live view."""
    _reset_if_needed(variant.name, dataset)
    for row, title in zip(ROWS, ("Model", "Optimisation", "Objective")):
        knobs = [KNOB_BY_FIELD[f] for f in row if KNOB_BY_FIELD[f].applies(variant)]
        if not knobs:
            continue
        st.markdown(f"**{title}**")
        columns = st.columns(2)
        for i, knob in enumerate(knobs):
            with columns[i % 2]:
                if knob.field == "noise_level":
                    _draw_noise_level(knob, dataset.image_size)
                else:
                    knob.draw(knob.label, key=f"knob_{knob.field}", help=knob.help + _accepted(knob.field),
                              persist_state="session", **knob.options)
    st.markdown("**Data and name**")
    left, right = st.columns(2)
    left.text_input("Training images", key="knob_n_train", persist_state="session",
                    help=f"Use the first N of the {len(dataset.x_train):,} training images: a few hundred train "
                         "in seconds (for a class), all of them give a better latent space. Accepted: "
                         f"{_n_train_range(dataset).describe()}.")
    right.text_input("Save as", key="knob_name", max_chars=64, persist_state="session",
                     help="The model's name in your library (letters, digits, '.', '_', '-'); when training ends it "
                          "is saved there and selected on every page.")
    if _name_exists(st.session_state.get("knob_name", "")):
        st.checkbox("Replace the model of that name in my library", key="knob_overwrite", persist_state="session",
                    help="A model with this name is already in your library; tick to overwrite it.")


def _name_exists(name: str) -> bool:
    try:
        return (own_library() / validate_name(name)).exists()
    except ModelStoreError:
        return False


def _knob_value(knob: Knob, variant: Variant) -> Any:
    """A knob's value as its config takes it: typed numbers parsed against the configs' ranges."""
    value = st.session_state[f"knob_{knob.field}"]
    if knob.draw is not st.text_input:
        return value
    if knob.field == "hidden":
        return parse_sizes(knob.label, value)
    if knob.field == "noise_level":
        noise = st.session_state.get("knob_noise", variant.train.noise)
        if noise == "none":
            return 0.0  # a level without a noise type means nothing; do not record it
        return noise_level_range(noise).parse(f"{knob.label} for {CORRUPTION_INFO[noise].label}", value)
    return RANGES[knob.field].parse(knob.label, value)


def _configs(variant: Variant, dataset: Dataset) -> tuple[ModelConfig, TrainConfig]:
    """The configs the knobs describe; ConfigError names the first knob at fault and what it accepts."""
    changes: dict[str, dict[str, Any]] = {"model": {}, "train": {}}
    for knob in KNOBS:
        if knob.applies(variant):
            changes[knob.target][knob.field] = _knob_value(knob, variant)
    return make_configs(variant.name, dataset.image_size, changes["model"], changes["train"])


def knob_problem(variant: Variant, dataset: Dataset) -> str | None:
    """Why the knobs as typed cannot be trained (a value out of range, a conv too deep for the images), or None;
    checked on every run so the message shows as soon as a value is entered."""
    try:
        model_config, _ = _configs(variant, dataset)
        n_train = _n_train(dataset)
        check_training_data(model_config, n_train, dataset.y_train[:n_train])
    except ConfigError as err:
        return str(err)
    return None


def build_request(variant: Variant, dataset: Dataset) -> TrainingRequest:
    """The form's values as a TrainingRequest; raises ConfigError / ModelStoreError with a message for the page."""
    state = st.session_state
    model_config, train_config = _configs(variant, dataset)
    n_train = _n_train(dataset)
    name = validate_name(str(state.get("knob_name", "")).strip())
    overwrite = bool(state.get("knob_overwrite")) and _name_exists(name)
    if _name_exists(name) and not overwrite:
        raise ModelStoreError(f"A model named {name!r} is already in your library: choose another name, or tick "
                              "'Replace the model of that name'.")
    return TrainingRequest(
        variant=variant.name, model_config=model_config, train_config=train_config, dataset=dataset.name,
        x_train=dataset.x_train[:n_train], x_val=dataset.x_test[:MAX_VALIDATION],
        y_train=dataset.y_train[:n_train], y_val=dataset.y_test[:MAX_VALIDATION],
        preview_x=dataset.x_test[:PREVIEW_IMAGES], preview_y=dataset.y_test[:PREVIEW_IMAGES],
        latent_x=dataset.x_test[:LATENT_SAMPLE],
        latent_y=dataset.y_test[:LATENT_SAMPLE], class_names=dataset.class_names, save_name=name, overwrite=overwrite,
        library_root=own_library(),
        map_x=dataset.x_test[:LATENT_MAP_POINTS] if real_server() else None, data_identity=dataset.identity)
