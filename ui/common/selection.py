"""The datasets and models a session can choose: listing, loading (cached per process), ownership, and the current
data and model of the sidebar. The trainings' lifecycle is ui.train.lifecycle's; process set-up is app.py's
(ui.common.process).

Caching: models and datasets are st.cache_resource (loaded once per process, shared read-only between sessions: a
dataset is ~12 MB of tensors that cache_data would copy on every rerun); results computed from them are keyed by
their identity (ui.common.cache). A session's own uploads and unsaved models live in its session state
(ui.common.session), invisible to other sessions; model_owner says whose a model is.

Told without torch (Home and the sidebar import and call only these): the sources and models there are (listing
reads configs), current_data (what the current data is, without loading a named source's images) and listed_model.
Loading a dataset or a model imports torch.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from aelab.data import sources as aedata
from aelab.errors import AelabError
from aelab.library.store import ModelInfo, ModelRecord, load_model, published_root
from aelab.library.store import list_models as _list_models
from aelab.models.config import ModelConfig
from aelab.runtime.identity import PUBLIC, combine_weights
from aelab.views.pages import AppView
from ui.common.process import torch_ready
from ui.common.session import session
from ui.common.view_state import kept_view
from ui.common.viewer import library_owner, own_library

DEFAULT_DATASET = "mnist-5k"
DEFAULT_MODEL = "ae"
UPLOAD_PREFIX = "upload:"

def session_id() -> str:
    return session.id


def model_owner(source: str) -> str:
    """Who may see a model of source ("pretrained", "published", "library" or "session") and the results computed
    from it: the one place that decides. A session's unsaved models are its own; library models are this browser's
    with private libraries (ui.common.viewer), else everyone's like the pretrained and published ones."""
    if source == "session":
        return session.id
    return (library_owner() or PUBLIC) if source == "library" else PUBLIC


def list_models():
    """The models this browser sees: pretrained, published (both read-only) and its own library's."""
    return _list_models(own_library(), published=published_root())


@st.cache_resource(show_spinner="Loading dataset...")
def bundled_or_cached_dataset(name: str) -> aedata.Dataset:
    torch_ready()
    return aedata.load_dataset(name)


@st.cache_resource(show_spinner="Loading model...", max_entries=32)
def cached_model(path: str, modified_ns: int, owner: str, pretrained: bool = False) -> ModelRecord:
    """modified_ns (the config's mtime) is part of the key, so a model saved again under the same name reloads (and
    its record carries the new weights' digest, so no result of the old weights is served for it)."""
    torch_ready()
    record = load_model(path, pretrained=pretrained)
    record.owner = owner
    return record


@dataclasses.dataclass(frozen=True)
class DataSummary:
    """The current data as Home and the sidebar tell it: a named source's from its catalogue line (nothing loaded),
    an upload's from the upload."""

    name: str
    image_size: tuple[int, int]
    n_train: int
    n_test: int
    class_names: tuple[str, ...]
    identity: str


def current_data() -> DataSummary:
    """What current_dataset() gives, told without loading it (and without torch) for a named source."""
    name = kept_view(AppView).data or DEFAULT_DATASET
    if name.startswith(UPLOAD_PREFIX) and name in session.uploads:
        upload = session.uploads[name]
        return DataSummary(upload.name, upload.image_size, len(upload.x_train), len(upload.x_test),
                           upload.class_names, upload.identity)
    summary = source_summary(name)
    if summary is None:  # as current_dataset: the default stands in for an unknown or undownloaded source
        summary = source_summary(DEFAULT_DATASET)
    return summary


def source_summary(name: str) -> DataSummary | None:
    """A named source's summary, or None when there is no such source or it is not on this machine yet."""
    info = next((info for info in aedata.list_sources() if info.name == name), None)
    if info is None or info.status == "needs download":
        return None
    return DataSummary(info.name, tuple(info.image_size), info.n_train, info.n_test, info.class_names, info.identity)


def current_dataset() -> aedata.Dataset:
    """The dataset chosen in the sidebar (an upload lives in this session only)."""
    name = kept_view(AppView).data or DEFAULT_DATASET
    if name.startswith(UPLOAD_PREFIX):
        uploads = session.uploads
        if name in uploads:
            return uploads[name]
        name = DEFAULT_DATASET
    try:
        return bundled_or_cached_dataset(name)
    except AelabError:
        return bundled_or_cached_dataset(DEFAULT_DATASET)


def session_models() -> dict[str, ModelRecord]:
    """Models trained in this session and not (or not yet) saved to the library."""
    return session.session_models


# Models whose loading failed (a checksum, weights that do not fit: what listing cannot tell without reading the
# weights), process-wide like the files: (folder, config mtime) -> reason. A model saved again gets another mtime.
_LOAD_FAILURES: dict[tuple[str, int], str] = {}


def _short_reason(reason: str, folder: Path) -> str:
    """A reason without the server's folders (the model's name says which)."""
    return reason.replace(f"{folder.parent}{os.sep}", "")


def broken_models() -> dict[str, str]:
    """key -> reason for every model of the library or the pretrained folder that cannot be loaded: invalid when
    listed, or failed when loaded. They are left out of every picker; pages name them."""
    broken = {}
    for info in list_models():
        key = f"{info.source}/{info.name}"
        reason = info.error or _LOAD_FAILURES.get((str(info.path), _modified_ns(info.path)))
        if reason:
            broken[key] = _short_reason(reason, info.path)
    return broken


def _modified_ns(folder: Path) -> int:
    try:
        return (folder / "config.json").stat().st_mtime_ns
    except OSError:
        return 0


def loadable(keys) -> tuple[dict[str, ModelRecord], dict[str, str]]:
    """The models of keys that load (key -> record, in order) and those that do not (key -> reason)."""
    records, failed = {}, {}
    for key in keys:
        try:
            records[key] = load_model_key(key)
        except (AelabError, KeyError) as err:
            failed[key] = str(err)
    return records, failed


def model_choices(image_size: tuple[int, int]) -> dict[str, str]:
    """label -> key for every model that fits images of image_size and is not known to be broken. Keys:
    "pretrained/NAME", "library/NAME", "session/NAME"."""
    choices: dict[str, str] = {}
    broken = broken_models()
    for info in list_models():
        if f"{info.source}/{info.name}" not in broken and tuple(info.image_size) == tuple(image_size):
            choices[f"{info.name}  ({info.variant}, {info.source})"] = f"{info.source}/{info.name}"
    for name, record in session_models().items():
        if tuple(record.model_config.image_size) == tuple(image_size):
            choices[f"{name}  ({record.variant}, this session)"] = f"session/{name}"
    return choices


def model_configs(image_size: tuple[int, int]) -> dict[str, ModelConfig]:
    """key -> architecture of every model in model_choices(image_size), in its order, from the configs alone: a page
    sorts models by kind without loading each (~50 ms apiece) and loads only those it shows."""
    infos = {f"{info.source}/{info.name}": info.model_config for info in list_models()}
    configs = {}
    for key in model_choices(image_size).values():
        if key.startswith("session/"):
            record = session_models().get(key.partition("/")[2])
            if record is not None:
                configs[key] = record.model_config
        elif infos.get(key) is not None:
            configs[key] = infos[key]
    return configs


def variational_keys(image_size: tuple[int, int], trained_on: str | None = None) -> list[str]:
    """Keys of the VAEs (variational code) among the models that fit images of image_size, in the Model list's order;
    with trained_on, those trained on that dataset if there are any (a shapes VAE fits MNIST's size but is no advice
    for MNIST). Told from the configs alone (no model is loaded: Home asks on every cold start); a model already known
    not to load is not in model_choices, and one that fails later is named by the page that loads it."""
    datasets = {f"{info.source}/{info.name}": info.dataset for info in list_models()}
    datasets.update({f"session/{name}": record.dataset for name, record in session_models().items()})
    vaes = {key: datasets.get(key) for key, config in model_configs(image_size).items() if config.variational}
    same_data = [key for key, dataset in vaes.items() if dataset == trained_on]
    return same_data or list(vaes)


def bind_label(record: ModelRecord) -> ModelRecord:
    """A conditional model as every page uses it: bound to the sidebar's class (aelab.models.conditional), with a
    weights identity of its own per class so no cached result of one class is served for another. Others as they
    are."""
    return _bound(record, kept_view(AppView).label)


def _bound(record: ModelRecord, label: int) -> ModelRecord:
    n_classes = record.model_config.n_classes
    if n_classes == 0:
        return record
    from aelab.models.conditional import with_label  # (torch: a model is loaded already)

    label = min(max(label, 0), n_classes - 1)
    return dataclasses.replace(record, model=with_label(record.model, label),
                               weights_digest=combine_weights([record.weights_digest, f"label:{label}"]))


def listed_model(key: str) -> ModelInfo | None:
    """The listing line of a pretrained, published or library model key (its config and weights checked, nothing
    loaded); None for a session's model or a key no longer listed."""
    source, _, name = key.partition("/")
    return next((info for info in list_models() if info.source == source and info.name == name), None)


def model_loader(key: str) -> Callable[[], ModelRecord]:
    """A function that loads key's record as load_model_key would now (bound to the sidebar's class), for work done
    outside the page's run, where there is no session (a download made when its button is clicked). KeyError or
    AelabError when the model is gone."""
    source, _, name = key.partition("/")
    label = kept_view(AppView).label
    if source == "session":
        record = session_models()[name]
        return lambda: _bound(record, label)
    info = listed_model(key)
    if info is None or info.error:
        raise AelabError(f"The model {key!r} is not available.")
    return lambda: _bound(load_model(info.path, pretrained=source == "pretrained"), label)


def load_model_key(key: str) -> ModelRecord:
    """The record of key ("pretrained/NAME", "library/NAME", "session/NAME"); a conditional model comes bound to the
    sidebar's class."""
    return bind_label(_load_model_key(key))


def _load_model_key(key: str) -> ModelRecord:
    source, _, name = key.partition("/")
    if source == "session":
        record = session_models()[name]
        record.owner = model_owner(source)  # whoever built it: a session's model is that session's
        return record
    for info in list_models():
        if info.source == source and info.name == name:
            if info.error:
                raise AelabError(_short_reason(info.error, info.path))
            failure = (str(info.path), _modified_ns(info.path))
            if failure in _LOAD_FAILURES:  # not tried again (a checksum over the whole file) on every rerun
                raise AelabError(_LOAD_FAILURES[failure])
            try:
                return cached_model(failure[0], failure[1], model_owner(source), source == "pretrained")
            except AelabError as err:
                _LOAD_FAILURES[failure] = _short_reason(str(err), info.path)
                raise AelabError(_LOAD_FAILURES[failure]) from None
    raise AelabError(f"The model {key!r} is no longer there.")


def current_model() -> ModelRecord | None:
    """The model chosen in the sidebar, or None if no model fits the current dataset's image size."""
    key = session.model_key
    if not key:
        return None
    try:
        return load_model_key(key)
    except (AelabError, KeyError):  # gone since it was chosen: the sidebar's picker falls back on its next run
        return None


def require_model(variational: bool | None = None) -> ModelRecord:
    """The current model, or stop the page with a message saying what to pick."""
    record = current_model()
    if record is None:
        reason = broken_models().get(session.model_key or "")
        if reason:
            st.warning(f"The model {session.model_key} could not be loaded ({reason}); choose another in the sidebar.")
        else:
            st.info("No model fits this dataset yet: train one on the Train page, or choose another dataset.")
        st.stop()
    if variational and not record.model_config.variational:
        st.info(f"{record.name} is not a VAE; this section needs a variational model (e.g. vae).")
    return record


def select_model(key: str) -> None:
    """Make key ("library/NAME", "session/NAME", ...) the selected model. The sidebar's picker applies it when it is
    drawn: at once if called before the sidebar in this run, otherwise on the next rerun (call st.rerun()).
    Setting "model_key" directly would fail once the picker widget exists in this run."""
    session.pending_model_key = key
