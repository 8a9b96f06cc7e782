"""The Train page's form: a variant and its knobs, each explained in one line; builds a validated TrainingRequest.

The knobs come from one table (aelab.models.knobs: field, link parameter, label, help, which variants have it, how
its text is read), and each is a field of the Train page's view (aelab.views.pages.TrainView), bound like every
other widget: kept across pages and in the link (?variant=vae&latent=16&epochs=5), a link's bad value refused with
one line, the variant's defaults left out of the address. A knob holds its text as typed; only a valid value enters
the link; the variant changing puts every knob back on the new variant's defaults. The save name and the overwrite
switch are in the view (kept across pages) but never in a link.

Numbers are typed into text fields and parsed against the configs' own ranges (aelab.models.ranges.RANGES, as the
CLI does): st.number_input's browser side turns "1e9" into 1 for a whole number, shows "NaN" as 0 and only colours
an out-of-range value red, so the server would never learn what was typed.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from aelab.data.corruption import CORRUPTION_INFO, strength_range
from aelab.data.sources import Dataset
from aelab.errors import ConfigError, ModelStoreError
from aelab.library.store import validate_name
from aelab.models.conditional import check_training_data
from aelab.models.config import ModelConfig, TrainConfig
from aelab.models.knobs import KNOB_BY_FIELD, KNOBS, Knob, accepted, knob_text, parse_knob
from aelab.models.ranges import NumberRange
from aelab.models.variants import VARIANTS, Variant, make_configs
from aelab.train.job import TrainingRequest
from aelab.views.pages import TrainView
from ui.common.view_state import Bound
from ui.common.viewer import own_library
from ui.common.warmup import real_server

# The Latent Space page's default map (its "Test images on the map": at most 5000): the job precomputes its UMAP.
LATENT_MAP_POINTS = 5000
LATENT_SAMPLE = 600  # test images whose codes are drawn each epoch: enough for clusters, cheap to project
PREVIEW_IMAGES = 8  # test images whose reconstructions are shown getting sharper
MIN_TRAIN = 10  # the smallest training subset offered (an upload may hold fewer images: then all of them)
MAX_VALIDATION = 2000  # validation loss each epoch on at most this many test images (full MNIST has 10,000)
KNOB_FIELDS = tuple(k.field for k in KNOBS)
ROWS = [("latent_dim", "hidden", "temperature", "codebook_size", "seed"),
        ("epochs", "batch_size", "lr", "recon_loss"),
        ("beta", "commitment_weight", "noise", "noise_level", "sparsity_weight", "contractive_weight")]


def _defaults(variant: str, image_size: tuple[int, int], noise: str) -> dict[str, Any]:
    """Each knob's value when nothing is changed, as the form shows it: the variant's (a number as text), and a
    chosen noise type's own level."""
    model, train = make_configs(variant, image_size)
    values = {}
    for knob in KNOBS:
        value = getattr(model if knob.target == "model" else train, knob.field)
        values[knob.field] = value if knob.choices is not None else knob_text(value)
    if noise != train.noise and noise in CORRUPTION_INFO:
        values["noise_level"] = knob_text(float(strength_range(noise, image_size).default))
    elif noise == "none":
        values["noise_level"] = "0"
    return values


def _free_name(stem: str) -> str:
    """stem, or stem-2, stem-3... whichever is not in the library yet."""
    root, name, k = own_library(), stem, 1
    while (root / name).exists():
        k += 1
        name = f"{stem}-{k}"
    return name


def _n_train_range(dataset: Dataset) -> NumberRange:
    n = len(dataset.x_train)
    return NumberRange(min(MIN_TRAIN, n), n, integer=True)


def _variant_changed(view: Bound) -> None:
    """Another variant: every knob back on its defaults, and a save name of its own."""
    view.set(**dict.fromkeys(KNOB_FIELDS), name=None)


def draw_variant_picker(view: Bound) -> Variant:
    names = list(VARIANTS)
    name = view.selectbox("variant", "Variant", names, key="train_variant", on_change=_variant_changed, args=(view,),
                          help="Each variant is the same autoencoder with a different architecture, bottleneck or "
                               "objective; the last three are the classic methods it generalises.")
    if view.has_message("variant"):  # the link named a variant not here: its knobs are not this variant's
        view.drop_pending(*KNOB_FIELDS)
    st.caption(VARIANTS[name].description)
    return VARIANTS[name]


def _link_check(knob: Knob, noise: str):
    """How a link's text for knob is checked (a typed one is explained by knob_problem instead)."""
    def why_not(text: str) -> str | None:
        try:
            parse_knob(knob, text, noise)
        except ConfigError:
            return f"is not {accepted(knob, noise)}"
        return None
    return why_not


def _draw_knob(view: Bound, knob: Knob, default: Any, image_size: tuple[int, int]) -> None:
    noise = view.view.noise or "none"
    if knob.field == "noise":
        view.selectbox("noise", knob.label, knob.choices, key="knob_noise", default=default,
                       format_func=lambda n: CORRUPTION_INFO[n].label if n in CORRUPTION_INFO else n,
                       on_change=lambda: view.set(noise_level=None),  # a new noise type starts at its own level
                       help=knob.help)
    elif knob.choices is not None:
        view.selectbox(knob.field, knob.label, knob.choices, key=f"knob_{knob.field}", default=default,
                       help=knob.help)
    elif knob.field == "noise_level" and noise not in CORRUPTION_INFO:
        view.text_input("noise_level", knob.label, key="knob_noise_level", default=default, disabled=True,
                        help="Choose an input noise first.")
    elif knob.field == "noise_level":
        strength = strength_range(noise, image_size)
        view.text_input("noise_level", f"Noise level: {strength.label}", key="knob_noise_level", default=default,
                        link_check=_link_check(knob, noise),
                        help=f"{CORRUPTION_INFO[noise].description} Useful values: {strength.low:g} to "
                             f"{strength.high:g} (accepted: {accepted(knob, noise)}).")
    else:
        view.text_input(knob.field, knob.label, key=f"knob_{knob.field}", default=default,
                        link_check=_link_check(knob, noise), help=f"{knob.help} Accepted: {accepted(knob)}.")


def draw_knobs(view: Bound, variant: Variant, dataset: Dataset) -> None:
    """The knobs that matter for variant, in sections (model, optimisation, objective), then data and name; drawn
    two to a row so the form fits beside the live view. A knob the variant does not have is neither shown nor read
    from a link."""
    mine = [k.field for k in KNOBS if k.applies(variant)]
    view.drop_pending(*(f for f in KNOB_FIELDS if f not in mine))
    for row, title in zip(ROWS, ("Model", "Optimisation", "Objective")):
        knobs = [KNOB_BY_FIELD[f] for f in row if f in mine]
        if not knobs:
            continue
        st.markdown(f"**{title}**")
        columns = st.columns(2)
        for i, knob in enumerate(knobs):
            defaults = _defaults(variant.name, dataset.image_size, view.view.noise or variant.train.noise)
            with columns[i % 2]:
                _draw_knob(view, knob, defaults[knob.field], dataset.image_size)
    st.markdown("**Data and name**")
    left, right = st.columns(2)
    n_range = _n_train_range(dataset)
    if view.changed("n_train_for", dataset.name) and not _parses(n_range, _text(view, "n_train", variant, dataset)):
        view.set(n_train=None)  # a smaller dataset chosen since: all of its images
    view.drew("n_train_for", dataset.name)
    view.text_input("n_train", "Training images", where=left, key="knob_n_train", default=str(len(dataset.x_train)),
                    link_check=lambda text: None if _parses(n_range, text) else f"is not {n_range.describe()}",
                    help=f"Use the first N of the {len(dataset.x_train):,} training images: a few hundred train "
                         f"in seconds (for a class), all of them give a better latent space. Accepted: "
                         f"{n_range.describe()}.")
    view.text_input("name", "Save as", where=right, key="knob_name", max_chars=64,
                    default=_free_name(f"my-{variant.name.replace('_', '-')}"),
                    help="The model's name in your library (letters, digits, '.', '_', '-'); when training ends it "
                         "is saved there and selected on every page.")
    if _name_exists(_text(view, "name", variant, dataset)):
        view.checkbox("overwrite", "Replace the model of that name in my library", key="knob_overwrite",
                      help="A model with this name is already in your library; tick to overwrite it.")


def _parses(accepted_range: NumberRange, text: str) -> bool:
    try:
        accepted_range.parse("", text)
    except ConfigError:
        return False
    return True


def _name_exists(name: str) -> bool:
    try:
        return (own_library() / validate_name(name)).exists()
    except ModelStoreError:
        return False


def _text(view: Bound, field: str, variant: Variant, dataset: Dataset) -> Any:
    """A form field's value as the form shows it: what was typed, or its default."""
    value = getattr(view.view, field)
    if value is not None:
        return value
    if field == "n_train":
        return str(len(dataset.x_train))
    if field == "name":
        return _free_name(f"my-{variant.name.replace('_', '-')}")
    return _defaults(variant.name, dataset.image_size, view.view.noise or variant.train.noise)[field]


def _n_train(view: Bound, variant: Variant, dataset: Dataset) -> int:
    """The training subset's size (ConfigError names the range)."""
    return int(_n_train_range(dataset).parse("Training images", _text(view, "n_train", variant, dataset)))


def _configs(view: Bound, variant: Variant, dataset: Dataset) -> tuple[ModelConfig, TrainConfig]:
    """The configs the knobs describe; ConfigError names the first knob at fault and what it accepts."""
    changes: dict[str, dict[str, Any]] = {"model": {}, "train": {}}
    noise = _text(view, "noise", variant, dataset) if KNOB_BY_FIELD["noise"].applies(variant) else "none"
    for knob in KNOBS:
        if knob.applies(variant):
            changes[knob.target][knob.field] = parse_knob(knob, _text(view, knob.field, variant, dataset), noise)
    return make_configs(variant.name, dataset.image_size, changes["model"], changes["train"])


def knob_problem(view: Bound, variant: Variant, dataset: Dataset) -> str | None:
    """Why the knobs as typed cannot be trained (a value out of range, a conv too deep for the images), or None;
    checked on every run so the message shows as soon as a value is entered."""
    try:
        model_config, _ = _configs(view, variant, dataset)
        n_train = _n_train(view, variant, dataset)
        check_training_data(model_config, n_train, dataset.y_train[:n_train])
    except ConfigError as err:
        return str(err)
    return None


def build_request(view: Bound, variant: Variant, dataset: Dataset) -> TrainingRequest:
    """The form's values as a TrainingRequest; raises ConfigError / ModelStoreError with a message for the page."""
    model_config, train_config = _configs(view, variant, dataset)
    n_train = _n_train(view, variant, dataset)
    name = validate_name(str(_text(view, "name", variant, dataset)).strip())
    overwrite = bool(view.view.overwrite) and _name_exists(name)
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


__all__ = ["TrainView", "build_request", "draw_knobs", "draw_variant_picker", "knob_problem"]
