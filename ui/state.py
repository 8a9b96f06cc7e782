"""What every page shares: cached loaders, the session's identity, the job manager, and the current data and model.

Caching: models and datasets are st.cache_resource (loaded once per process, shared read-only between sessions: a
dataset is ~12 MB of tensors that cache_data would copy on every rerun); small derived arrays are st.cache_data.
A session's own uploads and unsaved models live in st.session_state, invisible to other sessions.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import streamlit as st
import torch

from aelab import data as aedata
from aelab.errors import AelabError
from aelab.jobs import JobManager
from aelab.store import ModelRecord, list_models, load_model

DEFAULT_DATASET = "mnist-5k"
DEFAULT_MODEL = "ae"
UPLOAD_PREFIX = "upload:"

# A class on one laptop: keep one core for the server so sliders stay responsive while others train.
torch.set_num_threads(max(1, (os.cpu_count() or 2) // 2))


def session_id() -> str:
    if "session_id" not in st.session_state:
        st.session_state["session_id"] = uuid.uuid4().hex
    return st.session_state["session_id"]


@st.cache_resource(show_spinner=False)
def job_manager() -> JobManager:
    """One per server process, so jobs survive reruns, page switches and reloads."""
    max_running = int(os.environ.get("AELAB_MAX_JOBS", "0")) or os.cpu_count() or 1
    return JobManager(max_running=max_running)


@st.cache_resource(show_spinner="Loading dataset...")
def bundled_or_cached_dataset(name: str) -> aedata.Dataset:
    return aedata.load_dataset(name)


@st.cache_resource(show_spinner="Loading model...", max_entries=32)
def cached_model(path: str, modified: float) -> ModelRecord:
    """modified (the config's mtime) is part of the key, so a model saved again under the same name reloads."""
    return load_model(path)


def current_dataset() -> aedata.Dataset:
    """The dataset chosen in the sidebar (an upload lives in this session only)."""
    name = st.session_state.get("dataset", DEFAULT_DATASET)
    if name.startswith(UPLOAD_PREFIX):
        uploads = st.session_state.get("uploads", {})
        if name in uploads:
            return uploads[name]
        name = DEFAULT_DATASET
    try:
        return bundled_or_cached_dataset(name)
    except AelabError:
        return bundled_or_cached_dataset(DEFAULT_DATASET)


def session_models() -> dict[str, ModelRecord]:
    """Models trained in this session and not (or not yet) saved to the library."""
    return st.session_state.setdefault("session_models", {})


def model_choices(image_size: tuple[int, int]) -> dict[str, str]:
    """label -> key for every model that fits images of image_size. Keys: "pretrained/NAME", "library/NAME",
    "session/NAME"."""
    choices: dict[str, str] = {}
    for info in list_models():
        if info.error is None and tuple(info.image_size) == tuple(image_size):
            choices[f"{info.name}  ({info.variant}, {info.source})"] = f"{info.source}/{info.name}"
    for name, record in session_models().items():
        if tuple(record.model_config.image_size) == tuple(image_size):
            choices[f"{name}  ({record.variant}, this session)"] = f"session/{name}"
    return choices


def load_model_key(key: str) -> ModelRecord:
    source, _, name = key.partition("/")
    if source == "session":
        return session_models()[name]
    for info in list_models():
        if info.source == source and info.name == name:
            return cached_model(str(info.path), (info.path / "config.json").stat().st_mtime)
    raise AelabError(f"The model {key!r} is no longer there.")


def current_model() -> ModelRecord | None:
    """The model chosen in the sidebar, or None if no model fits the current dataset's image size."""
    key = st.session_state.get("model_key")
    if not key:
        return None
    try:
        return load_model_key(key)
    except (AelabError, KeyError) as err:
        st.session_state["model_error"] = str(err)
        return None


def require_model(variational: bool | None = None) -> ModelRecord:
    """The current model, or stop the page with a message saying what to pick."""
    record = current_model()
    if record is None:
        st.info("No model fits this dataset yet: train one on the Train page, or choose another dataset.")
        st.stop()
    if variational and not record.model_config.variational:
        st.info(f"{record.name} is not a VAE; this section needs a variational model (e.g. vae).")
    return record


def select_model(key: str) -> None:
    """Make key the selected model (after training); the sidebar picks it up on the next rerun."""
    st.session_state["model_key"] = key
    st.session_state["pending_model_key"] = key


def model_path_mtime(path: Path) -> float:
    return (path / "config.json").stat().st_mtime
