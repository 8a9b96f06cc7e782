"""The Train page's replay as a map: the latent view after any epoch, drawn by the live decoder's map view (the
Latent page's WebGL map, ui/latent/map.py's spec), decoding under the cursor with the model as it was at that epoch.

What a point of an epoch's frame decodes is the frame's plane (aelab.train.job: the code itself on raw axes, the
codes' mean plus the turned PCA inverse otherwise), fed to that epoch's decoder: the job's float16 snapshot of it,
or for the last frame of a finished run the saved model itself. Every frame is drawn on one square holding all of
them, so the clusters move while the axes stay still. Where no map can be drawn (live decoding off or failed, no
WebGL, a conditional model, an epoch whose decoder a very long training did not keep), `replay_map` returns False and
the page draws today's Plotly view.
"""
from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from aelab.analysis.maps import plane_range
from aelab.runtime.identity import weights_digest
from aelab.runtime.jobs import DONE, JobSnapshot
from ui.components import live_decoder as live
from ui.latent.map import NO_WEBGL_KEY, MapPoints, map_spec

KEY = "train_replay_map"
HEIGHT = 440


@dataclass(frozen=True)
class EpochRecord:
    """The model as it was after one epoch, shaped like a ModelRecord for the live decoder (name, model, config and
    weights digest: what live.live_model reads)."""

    name: str
    model: Any
    model_config: Any
    weights_digest: str


@dataclass(frozen=True)
class _Look:
    """What map_spec reads of a view: the replay colours by label, keeps no selection and opens on the whole map."""

    colour: str = "label"
    selection: None = None
    camera: None = None


@st.cache_resource(show_spinner=False, max_entries=8)
def _epoch_record(key: str, name: str, _outcome, _weights: dict[str, np.ndarray] | None) -> EpochRecord:
    """The finished model with its decoder's weights replaced by an epoch's snapshot (None: the model as saved).
    Keyed by the job and the epoch: a job id is this session's own (a snapshot is only ever read by its viewers)."""
    import torch

    from aelab.models.autoencoder import create_model

    model = copy.deepcopy(_outcome.model)  # (the outcome's own model is the job's result: left as it is)
    if _weights is not None:
        model = create_model(_outcome.model_config, _outcome.train_config.seed)
        state = {k: v.detach().clone() for k, v in _outcome.model.state_dict().items()}
        state.update({k: torch.from_numpy(v.astype(np.float32)) for k, v in _weights.items()})
        model.load_state_dict(state, strict=True)
    model.eval()
    return EpochRecord(name, model, _outcome.model_config, weights_digest(model))


def epoch_record(snap: JobSnapshot, epoch: int) -> EpochRecord | None:
    """The model after `epoch` (0: untrained), or None when the job did not keep that epoch's decoder."""
    outcome, frames = snap.result, snap.state.get("latent_frames") or []
    decoders = snap.state.get("replay_decoders") or []
    if outcome is None or getattr(outcome, "model_config", None) is None or not 0 <= epoch < len(frames):
        return None
    weights = decoders[epoch] if epoch < len(decoders) else None
    if weights is None and not (epoch == len(frames) - 1 and snap.status == DONE):
        return None  # (a cancelled run's model went on past its last whole epoch: it is not that frame's)
    return _epoch_record(f"{snap.id}|{epoch}|{weights is None}", f"{outcome.name or outcome.variant}, epoch {epoch}",
                         outcome, weights)


@st.cache_resource(show_spinner=False, max_entries=8)
def _thumbnails(job_id: str, _images: np.ndarray) -> live.Blob:
    data = np.ascontiguousarray(_images, dtype=np.uint8).tobytes()
    return live.Blob(f"thumbs-{hashlib.sha256(data).hexdigest()[:24]}", data)


def replay_map(snap: JobSnapshot, epoch: int, title: str) -> bool:
    """Draw epoch's frame as a map decoding under the cursor; False when the page must draw its Plotly view."""
    state = snap.state
    frames, planes = state.get("latent_frames") or [], state.get("latent_planes") or []
    images, labels = state.get("latent_images"), state.get("labels")
    if st.session_state.get(NO_WEBGL_KEY) or epoch >= len(planes) or images is None or labels is None:
        return False
    record = epoch_record(snap, epoch)
    if record is None or live.unavailable_reason(record) is not None:
        return False
    model = live.live_model(record)
    message = live.released(KEY, model)  # (the map sends no lasso or camera here: the replay keeps no view)
    if message is not None and isinstance(message.get("nowebgl"), str):
        st.session_state[NO_WEBGL_KEY] = message["nowebgl"][:200]
        st.rerun()
    coords, plane = frames[epoch], planes[epoch]
    points = MapPoints(coords, np.asarray(labels), np.zeros(len(coords), np.float32), np.arange(len(coords)),
                       tuple(state.get("class_names") or ()))
    axes = tuple(state.get("latent_axes") or ("", ""))
    spec = map_spec(_Look(), plane[0], plane[1:], points, axes, HEIGHT)
    low, high = plane_range(np.concatenate(frames))  # one square for every epoch: the axes stay still
    spec["extent"] = [low, high, low, high]
    spec["hint"] = f"Hover anywhere: the model as it was {title} decodes that point. Drag to pan, scroll to zoom."
    spec["keeps_view"] = False  # (no camera or selection sent back: each would rerun the whole Train page)
    thumbs = _thumbnails(snap.id, images)
    spec["thumbs"] = {"hash": thumbs.hash, "n": len(images), "height": int(images.shape[1]),
                      "width": int(images.shape[2])}
    st.markdown(f"**Codes of {len(coords):,} test images, {title}**")
    with st.container(key="train_replay_frame"):
        live.live_decoder(KEY, "map", spec, model, blobs=(thumbs,))
    where = ("the code itself" if axes[0] == "z1" else
             "the codes' mean plus the inverse of this epoch's two principal components")
    st.caption(f"The panel by the cursor decodes {where} with the decoder as it was {title}, in your browser, beside "
               "the nearest real image.")
    return True
