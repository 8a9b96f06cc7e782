"""Publishing a copy under a new name (aelab.library.copies): STEM-1, STEM-2, ...; never over an existing model, even
one that appears between the check and the rename; the copy loads with the same weights and lists as published."""
from __future__ import annotations

import os

import pytest

from aelab.library.copies import publish_copy
from aelab.library.store import PRETRAINED_ROOT, list_models, load_model


@pytest.fixture
def record(tmp_path, monkeypatch):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))
    monkeypatch.delenv("AELAB_PUBLISHED_DIR", raising=False)
    return load_model(PRETRAINED_ROOT / "linear_ae")


def _publish(record):
    return publish_copy(record.model, "class-linear_ae", variant=record.variant, train_config=record.train_config,
                        dataset=record.dataset, metrics=record.metrics, history=record.history)


def test_each_publish_is_a_new_name_holding_the_same_weights(record, tmp_path):
    first, second = _publish(record), _publish(record)
    assert (first.name, second.name) == ("class-linear_ae-1", "class-linear_ae-2")
    assert load_model(first).weights_digest == record.weights_digest
    assert [i.name for i in list_models() if i.source == "published"] == [first.name, second.name]
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_a_name_taken_between_the_check_and_the_rename_is_never_replaced(record, monkeypatch):
    existing = _publish(record)
    marker = existing / "config.json"
    before = marker.read_bytes()
    real_exists = os.path.exists
    # The name looks free when checked (another writer is about to take it), and is taken by the time of the rename
    monkeypatch.setattr(type(existing), "exists", lambda self: False if self == existing else real_exists(self))
    second = _publish(record)
    assert second.name == "class-linear_ae-2" and marker.read_bytes() == before


def test_a_stem_that_makes_no_valid_name_is_refused(record):
    with pytest.raises(Exception, match="Invalid model name"):
        publish_copy(record.model, "../x", variant="ae", train_config=record.train_config, dataset="d")
