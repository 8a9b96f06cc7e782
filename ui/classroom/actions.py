"""What the teacher can do with a tile: project the student's model, publish it to the class, stop its training.

Project: the model the training ended with, copied at that moment (weights and all) into a model of the teacher's
own session, named by its weights' digest (class-VARIANT-DIGEST: no name or id of the student), and opened full-size
in presenter mode on Latent space, Traverse or Generate through an ordinary link of the teacher's session
(st.switch_page with ?model=session/...&present=1). It is a copy: whatever the student does next (Replace the saved
model, train again) changes nothing projected, and no page saves a session's model anywhere.
Publish: the same weights saved among the published models under a new name (aelab.library.copies), which every
student's Model list offers read-only; a model trained on a student's own images is not published.
Stop: JobManager.stop, whoever's training it is.
"""
from __future__ import annotations

import copy
from pathlib import Path

import streamlit as st

from aelab.data import sources as aedata
from aelab.errors import AelabError
from aelab.library.copies import publish_copy
from aelab.library.store import ModelRecord
from aelab.runtime.identity import weights_digest
from ui.classroom.tiles import Tile
from ui.common.selection import model_owner
from ui.common.session import session
from ui.common.text import plain
from ui.train.lifecycle import job_manager

TARGETS = {"latent": "Latent space", "traverse": "Traverse", "generate": "Generate"}
PROJECTED_PREFIX = "class-"


def projected_copy(tile: Tile) -> ModelRecord:
    """A copy of the tile's model, held by this (the teacher's) session: read-only weights, named by their digest,
    so projecting the same weights twice gives the same model."""
    outcome = tile.job.result
    model = copy.deepcopy(outcome.model).eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    digest = weights_digest(model)
    name = f"{PROJECTED_PREFIX}{outcome.variant}-{digest[:8]}"
    held = session.session_models.get(name)
    if held is not None and held.weights_digest == digest:
        return held
    record = ModelRecord(model, name, Path("session") / name, outcome.variant, outcome.model_config,
                         outcome.train_config, outcome.dataset, dict(outcome.metrics), list(outcome.history),
                         weights_digest=digest, owner=model_owner("session"))
    session.session_models[name] = record
    return record


def _dataset_for(tile: Tile, record: ModelRecord) -> str | None:
    """The data to show the projected model on: what it was trained on when everyone has it, else the first named
    source on this server of its image size (a model trained on a student's own images), else None."""
    size = tuple(record.model_config.image_size)
    sources = [info for info in aedata.list_sources() if info.status != "needs download"]
    if tile.card.get("shared") and any(info.name == tile.card.get("data") for info in sources):
        return tile.card["data"]
    return next((info.name for info in sources if tuple(info.image_size) == size), None)


def project(tile: Tile, target: str) -> str:
    """Open the tile's model on target's page in presenter mode (this raises Streamlit's page switch); returns why
    not when it cannot."""
    if not tile.model_ready:
        return "That training has no model yet: project it once it has finished."
    record = projected_copy(tile)
    data = _dataset_for(tile, record)
    if data is None:
        size = "x".join(str(s) for s in record.model_config.image_size)
        return f"No dataset on this server has {size} images, the size this model was trained on."
    key = f"session/{record.name}"
    params = {"data": data, "model": key, "present": "1"}
    if target == "generate":
        params["vae" if record.model_config.variational else "ae"] = key
    st.switch_page(f"pages/{target if target in TARGETS else 'latent'}.py", query_params=params)
    return ""  # (not reached)


def publish(tile: Tile) -> tuple[bool, str]:
    """Publish a copy of the tile's model under a new name: (whether it was published, a line saying so)."""
    if not tile.model_ready:
        return False, "That training has no model yet: publish it once it has finished."
    if not tile.card.get("shared"):
        return False, "That model was trained on the student's own images: it is not published."
    outcome = tile.job.result
    try:
        path = publish_copy(copy.deepcopy(outcome.model), f"{PROJECTED_PREFIX}{outcome.variant}",
                            variant=outcome.variant, train_config=outcome.train_config, dataset=outcome.dataset,
                            metrics=dict(outcome.metrics), history=list(outcome.history))
    except AelabError as err:
        return False, f"Could not publish it: {err}"
    return True, (f"Published {plain(tile.member.name)}'s model as **{path.name}**: every student finds it in the "
                  "Model list, marked published.")


def stop(tile: Tile) -> str:
    if tile.job is not None and job_manager().stop(tile.job.id):
        return f"Stopping {plain(tile.member.name)}'s training after its current step; the model so far is kept."
    return "That training has already ended."
