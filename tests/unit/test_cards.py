"""Home's card arrays (aelab.analysis.cards): every shipped model keeps them for its own data and its current weights
file (a model retrained without them would have Home import torch), they are what the model computes now, and a
file of other weights, other data or another version is never used. A library model's are computed by Home on first
use and kept, so the next process draws Home without torch (tests/unit/test_lazy_heavy_imports.py runs Home)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from aelab.analysis import cards
from aelab.data.sources import list_sources, load_dataset
from aelab.library.store import CACHE_DIR, list_models, load_model, read_config
from tests.unit.test_lazy_heavy_imports import run_home

PRETRAINED = [info for info in list_models(root="/nonexistent") if info.source == "pretrained"]
IDENTITY = {info.name: info.identity for info in list_sources()}


@pytest.mark.parametrize("info", [i for i in PRETRAINED if not i.model_config.n_classes], ids=lambda i: i.name)
def test_every_shipped_model_keeps_its_cards_for_its_data_and_weights(info):
    found = cards.read_cards(info.path, IDENTITY[info.dataset], info.weights_sha256)
    kinds = cards.kinds_for(info.model_config, info.train_config)
    assert set(kinds) <= set(found), f"{info.name} lacks {set(kinds) - set(found)}: python -m aelab " \
                                     f"build-pretrained --artefacts-only --artefacts cards --only {info.name}"
    size = tuple(info.image_size)
    rows = min(2, info.latent_dim)  # its two most used dimensions (a 1-D code has one)
    assert found["traverse"].shape == (rows * cards.STEPS, *size) and found["traverse"].dtype == np.uint8
    assert found["latent"].shape == (len(found["latent_labels"]), 2)


def test_the_shipped_arrays_are_what_the_model_computes_now():
    """Within one grey level: the same code on another CPU may round a pixel the other way."""
    path = next(i.path for i in PRETRAINED if i.name == "vae")
    dataset = load_dataset("mnist-5k")
    shipped = cards.read_cards(path, dataset.identity, read_config(path)["weights_sha256"])
    now = cards.card_arrays(load_model(path).model, dataset, ("interpolate", "restore", "generate"))
    for kind in ("interpolate", "restore", "generate"):
        assert np.abs(shipped[kind].astype(int) - now[kind].astype(int)).max() <= 1, kind


def test_a_file_of_other_weights_data_or_version_is_not_used(tmp_path, monkeypatch):
    arrays = {"traverse": np.zeros((14, 28, 28), np.uint8), "lessons": np.ones((3, 3, 3), np.uint8),
              "lessons_scale": np.int64(3)}
    (tmp_path / CACHE_DIR).mkdir()
    (tmp_path / CACHE_DIR / cards.CARDS_FILE).write_bytes(cards.cards_bytes(arrays, "source:a@1", "w1"))
    assert set(cards.read_cards(tmp_path, "source:a@1", "w1")) == {"traverse", "lessons", "lessons_scale"}
    assert cards.read_cards(tmp_path, "source:a@1", "w2") == {}  # other weights saved under the name
    assert set(cards.read_cards(tmp_path, "source:b@1", "w1")) == {"lessons", "lessons_scale"}  # weights-only kinds
    monkeypatch.setattr(cards, "VERSION", cards.VERSION + 1)
    assert cards.read_cards(tmp_path, "source:a@1", "w1") == {}  # pictures computed another way
    (tmp_path / CACHE_DIR / cards.CARDS_FILE).write_bytes(b"not a zip")
    assert cards.read_cards(tmp_path, "source:a@1", "w1") == {}  # unreadable: absent, never an error


def test_home_computes_a_library_models_cards_once_and_keeps_them(tmp_path):
    shutil.copytree(next(i.path for i in PRETRAINED if i.name == "ae"), tmp_path / "mine")
    (tmp_path / "mine" / CACHE_DIR / cards.CARDS_FILE).unlink()
    env = {"AELAB_HOME": str(tmp_path)}
    first = run_home(env, model_key="library/mine")
    assert "torch" in first["loaded"] and any("test codes by PCA" in c for c in first["captions"])
    assert (tmp_path / "mine" / CACHE_DIR / cards.CARDS_FILE).is_file()
    second = run_home(env, model_key="library/mine")
    assert "torch" not in second["loaded"] and second["captions"] == first["captions"]
