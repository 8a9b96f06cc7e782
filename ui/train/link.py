"""The Train form in the link: the knobs the chosen variant has, as short query parameters (?latent=16&epochs=5).

The variant itself is bound like any widget (form.draw_variant_picker). The knobs cannot use url_state.bind: their
defaults are the variant's (and the image size's), and the form resets them when the variant changes. So, at the
form's first run in a session, after its reset to the variant's defaults, the link's value of each knob the variant
has is checked against the configs' own ranges (aelab.models.ranges.RANGES, as a typed value is) and put in the
field; on every run the valid values that differ from the variant's defaults are written back, so the address bar is
a link to the form. A knob the variant does not have is neither read nor written; nor are knobs whose link names
another variant than the one shown (e.g. an unknown one). The model's save name never goes in the link.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from aelab.data.corruption import CORRUPTION_INFO, strength_range
from aelab.data.sources import Dataset
from aelab.errors import ConfigError
from aelab.models.config import noise_level_range
from aelab.models.ranges import RANGES, NumberRange, parse_sizes
from aelab.models.variants import Variant, make_configs
from ui.common import url_state
from ui.train.form import KNOBS, LINKED_VARIANT_KEY, Knob, _as_text, _n_train_range, _noise_changed, _reset_if_needed

# Each knob's query parameter: short and readable (data, model, job and present belong to the sidebar and pages).
PARAMS = {"latent_dim": "latent", "hidden": "hidden", "temperature": "temp", "codebook_size": "codes", "seed": "seed",
          "epochs": "epochs", "batch_size": "batch", "lr": "lr", "recon_loss": "loss", "beta": "beta",
          "commitment_weight": "commit", "noise": "noise", "noise_level": "level", "sparsity_weight": "l1",
          "contractive_weight": "contractive"}
N_TRAIN_PARAM = "images"
READ_KEY = "_train_link_read"


def link_knobs(variant: Variant, dataset: Dataset) -> None:
    """Before the knobs are drawn: the link's knobs at the session's first run, then the form's values into the URL,
    and any message about a bad value in the link."""
    _reset_if_needed(variant.name, dataset)
    if READ_KEY not in st.session_state:
        st.session_state[READ_KEY] = True
        if st.session_state.get(LINKED_VARIANT_KEY, variant.name) == variant.name:  # the knobs are for this variant
            _read(variant, dataset)
    _write(variant, dataset)
    for param in (*PARAMS.values(), N_TRAIN_PARAM):
        url_state.show(param)


def _knobs(variant: Variant) -> list[Knob]:
    return [k for k in KNOBS if k.applies(variant)]


def _range(knob: Knob, noise: str) -> NumberRange | None:
    """What a number knob accepts (the noise level's range is the noise type's); None for a choice or the sizes."""
    if knob.field == "noise_level":
        return noise_level_range(noise)
    return RANGES.get(knob.field)


def _parse(knob: Knob, raw: str, noise: str) -> tuple[Any, str | None]:
    """The link's raw text as the knob's value, or (None, why not)."""
    options = knob.options.get("options")
    if options is not None:
        return (raw, None) if raw in options else (None, f"is not one of the choices ({', '.join(options)})")
    if knob.field == "hidden":
        try:
            return parse_sizes(knob.label, raw.replace(" ", "")), None
        except ConfigError:
            return None, f"is not a list of layer sizes, each {RANGES['hidden'].describe()}"
    accepted = _range(knob, noise)
    try:
        return accepted.parse(knob.label, raw), None
    except ConfigError:
        return None, f"is not {accepted.describe()}"


def _read(variant: Variant, dataset: Dataset) -> None:
    state = st.session_state
    for knob in _knobs(variant):
        param, key = PARAMS[knob.field], f"knob_{knob.field}"
        raw = url_state.from_link(param)
        noise = state.get("knob_noise", "none")
        if raw is None or (knob.field == "noise_level" and noise == "none"):
            continue  # a level without a noise type means nothing
        value, why = _parse(knob, raw.strip(), noise)
        if why:
            url_state.bad_value(param, raw, why, f"the default ({_as_text(state[key])})", key, state[key])
            continue
        changed = state[key] != value
        state[key] = value if knob.options.get("options") is not None else _as_text(value)
        if knob.field == "noise" and changed:
            _noise_changed()  # the new noise type's own default level, unless the link gives one
    raw = url_state.from_link(N_TRAIN_PARAM)
    if raw is not None:
        accepted = _n_train_range(dataset)
        try:
            state["knob_n_train"] = str(accepted.parse("Training images", raw.strip()))
        except ConfigError:
            url_state.bad_value(N_TRAIN_PARAM, raw, f"is not {accepted.describe()}",
                                f"the default ({state['knob_n_train']})", "knob_n_train", state["knob_n_train"])


def _defaults(variant: Variant, dataset: Dataset, noise: str) -> dict[str, Any]:
    """The value each knob has when nothing is changed: the variant's, and a chosen noise type's own level."""
    model, train = make_configs(variant.name, dataset.image_size)
    values = {k.field: getattr(model if k.target == "model" else train, k.field) for k in KNOBS}
    if noise != train.noise and noise in CORRUPTION_INFO:
        values["noise_level"] = float(strength_range(noise, dataset.image_size).default)
    return values


def _write(variant: Variant, dataset: Dataset) -> None:
    """Each knob's valid value into the URL, or out of it when it is the default, not valid, or not the variant's."""
    state = st.session_state
    noise = state.get("knob_noise", "none")
    defaults = _defaults(variant, dataset, noise)
    mine = {k.field for k in _knobs(variant)}
    for knob in KNOBS:
        value = None
        if knob.field in mine and not (knob.field == "noise_level" and noise == "none"):
            value, _ = _parse(knob, str(state.get(f"knob_{knob.field}", "")).strip(), noise)
        url_state.write(PARAMS[knob.field], _as_link(value), _as_link(defaults[knob.field]))
    try:
        n_train = _n_train_range(dataset).parse("Training images", state.get("knob_n_train", ""))
    except ConfigError:
        n_train = None
    url_state.write(N_TRAIN_PARAM, n_train, len(dataset.x_train))


def _as_link(value: Any) -> Any:
    """Layer sizes as 256,128 (no spaces to escape); other values as they are (url_state encodes them)."""
    return ",".join(str(v) for v in value) if isinstance(value, tuple) else value
