"""Every cached result of the app is keyed by one identity: which data, which weights, and whose (see
aelab.runtime.identity). This module builds that identity for the current session and holds the one process-wide
result store (aelab.runtime.results) for results that are objects or are computed with a progress bar.

Rules the pages follow:
- an st.cache_data / st.cache_resource function takes str(identity) as its key argument, never a name;
- a result that is an object, or computed in a job or with a progress bar, goes to result_store() under its identity;
- the owner is PUBLIC only when both the data and every model are: a session's upload or unsaved model makes the
  result that session's (invisible to others, freed with it).
"""
from __future__ import annotations

import os
from collections.abc import Iterable

import streamlit as st

from aelab.runtime.identity import (
    DATA_ABSENT,
    PUBLIC,
    WEIGHTS_ABSENT,
    CacheIdentity,
    combine_weights,
    is_named_source,
    weights_digest,
)
from aelab.runtime.results import ResultStore
from ui.common.session import session

RESULTS_MB = int(os.environ.get("AELAB_RESULTS_MB", "1024"))  # the store's memory bound, all sessions together


@st.cache_resource(show_spinner=False)
def result_store() -> ResultStore:
    """One per server process, shared by every session; a session's private results take at most a quarter."""
    limit = RESULTS_MB * 2**20
    return ResultStore(max_entries=512, max_bytes=limit, owner_max_bytes=limit // 4)


def data_owner(dataset) -> str:
    """A named source is everyone's; any other data (an upload) belongs to the session that holds it."""
    return PUBLIC if dataset.named_source else session.id


def identity_of_data(record, data_identity: str) -> CacheIdentity:
    """identity(record, dataset) for a dataset known only by its identity (what a training job records)."""
    owner = PUBLIC if is_named_source(data_identity) else session.id
    return CacheIdentity(data_identity, record.weights_digest, _owner([record.owner, owner]))


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


def remember_trained_map(record, extra: dict) -> None:
    """A training job's default UMAP (aelab.train.job puts it in its outcome's extra) as this page's fitted map of
    record on the data it was computed from, so the Latent Space page of a model trained a minute ago never waits
    for a fit, and places a drawn digit with the fitted reducer."""
    projection, data = extra.get("umap"), extra.get("umap_data")
    if projection is None or not data:
        return
    params = {"n_neighbors": projection.params["n_neighbors"], "min_dist": projection.params["min_dist"]}
    result_store().put(identity_of_data(record, data), "projection/umap",
                             (params, len(projection.coords)), projection)
