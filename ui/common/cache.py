"""Every cached result of the app is keyed by one identity: which data, which weights, and whose (see
aelab.runtime.identity). This module builds that identity for the current session and holds the one process-wide
result store (aelab.runtime.results) for results that are objects or are computed with a progress bar, and it hands
a trained model's default map over from its training to the Latent Space page (computed after the training, in the
background, under the identity the page asks with).

Rules the pages follow:
- an st.cache_data / st.cache_resource function takes str(identity) as its key argument, never a name;
- a result that is an object, or computed in a job or with a progress bar, goes to result_store() under its identity;
- the owner is PUBLIC only when both the data and every model are: a session's upload or unsaved model makes the
  result that session's (invisible to others, freed with it).
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from aelab.errors import JobRefused
from aelab.runtime.identity import (
    DATA_ABSENT,
    PUBLIC,
    WEIGHTS_ABSENT,
    CacheIdentity,
    combine_weights,
    is_named_source,
    weights_digest,
)
from aelab.runtime.jobs import JobManager
from aelab.runtime.results import ResultStore
from ui.common.session import session

if TYPE_CHECKING:  # torch's: imported by the functions that use them (Home is drawn without torch)
    from aelab.train.job import TrainingOutcome, TrainingRequest

RESULTS_MB = int(os.environ.get("AELAB_RESULTS_MB", "1024"))  # the store's memory bound, all sessions together


@st.cache_resource(show_spinner=False)
def result_store() -> ResultStore:
    """One per server process, shared by every session; a session's private results take at most a quarter."""
    limit = RESULTS_MB * 2**20
    return ResultStore(max_entries=512, max_bytes=limit, owner_max_bytes=limit // 4)


def data_owner(dataset) -> str:
    """A named source is everyone's; any other data (an upload) belongs to the session that holds it."""
    return PUBLIC if dataset.named_source else session.id


def _owner(owners: Iterable[str]) -> str:
    private = sorted({owner for owner in owners if owner != PUBLIC})
    return "+".join(private) if private else PUBLIC


def identity(record=None, dataset=None) -> CacheIdentity:
    """The identity of a result computed from record's weights and/or dataset (either may be None)."""
    return identity_of([] if record is None else [record], dataset)


def identity_of(records: list, dataset=None) -> CacheIdentity:
    """The identity of a result computed from several models (in this order) and/or a dataset."""
    owners = [record.owner for record in records] + ([] if dataset is None else [data_owner(dataset)])
    weights = records[0].weights_digest if len(records) == 1 else combine_weights(r.weights_digest for r in records)
    return CacheIdentity(DATA_ABSENT if dataset is None else dataset.identity,
                         WEIGHTS_ABSENT if not records else weights, _owner(owners))


def key(record=None, dataset=None) -> str:
    """str(identity(record, dataset)): the key argument of an st.cache_data function."""
    return str(identity(record, dataset))


def module_key(model, dataset) -> str:
    """The key of a result computed from a model that is no record (a lesson's model trained or fitted on the spot)
    on dataset: its weights digested now (milliseconds for those small models)."""
    return str(CacheIdentity(dataset.identity, weights_digest(model), data_owner(dataset)))


# ------------------------------------------------------------------------------------------- a trained model's map
UMAP = "projection/umap"  # where the Latent Space page's fitted UMAPs are kept (ui.latent.view.projection_for)
MAP_PENDING = "projection/umap:pending"  # True while a trained model's default UMAP is computed in the background
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MapHandoff:
    """What a training's job thread needs to map its model once it has finished, taken in the session's thread
    when the training is submitted: that thread calls no st.* function (one would print "missing
    ScriptRunContext" into the server's log). lane: the quick jobs' lane, where the map waits its turn."""

    store: ResultStore
    lane: JobManager
    session: str
    group: str
    library_owner: str  # whose a model saved in the library is (ui.common.selection.model_owner("library"))


def map_handoff(lane: JobManager, group: str, library_owner: str) -> MapHandoff:
    return MapHandoff(result_store(), lane, session.id, group, library_owner)


def default_umap_key(n_points: int) -> tuple:
    """The key the Latent Space page asks its default UMAP of n_points codes under."""
    from aelab.analysis.maps import UMAP_DEFAULTS

    return {"n_neighbors": UMAP_DEFAULTS["n_neighbors"], "min_dist": UMAP_DEFAULTS["min_dist"]}, n_points


def map_later(handoff: MapHandoff, outcome: TrainingOutcome, request: TrainingRequest) -> None:
    """After a training has finished (and been saved): its model's default UMAP, queued on the quick lane and put
    in the result store under the identity the Latent Space page will ask with, and saved beside the model. None
    for a model whose map is its code plane or depends on a label (aelab.analysis.maps.needs_umap), a cancelled
    training, or a request without the page's images. Marked pending meanwhile: the page shows PCA until then."""
    from aelab.analysis.maps import map_trained_model, needs_umap

    if request.map_x is None or outcome.cancelled or not needs_umap(outcome.model_config):
        return
    saved = outcome.saved_path is not None
    data_owner = PUBLIC if is_named_source(request.data_identity) else handoff.session
    identity = CacheIdentity(request.data_identity, weights_digest(outcome.model),
                             _owner([handoff.library_owner if saved else handoff.session, data_owner]))
    key, store = default_umap_key(len(request.map_x)), handoff.store

    def work(ctx) -> None:
        try:
            store.get_or_compute(identity, UMAP, key, lambda: map_trained_model(
                outcome.model, request.map_x, request.dataset, request.data_identity, outcome.saved_path))
        except Exception:  # the model is trained and saved; without this shortcut the page fits the map itself
            log.exception("the default map of %s failed", outcome.name or outcome.variant)
        finally:
            store.put(identity, MAP_PENDING, key, False)

    store.put(identity, MAP_PENDING, key, True)
    try:
        handoff.lane.submit(f"map:{handoff.session}", f"map of {outcome.name or outcome.variant}", work,
                            group=handoff.group)
    except JobRefused:  # the lane is full: the page fits the map when asked, as for any other model
        store.put(identity, MAP_PENDING, key, False)


def map_pending(identity: CacheIdentity, key: tuple) -> bool:
    """Whether the result store's UMAP of identity under key is being computed in the background (map_later)."""
    return bool(result_store().get(identity, MAP_PENDING, key))
