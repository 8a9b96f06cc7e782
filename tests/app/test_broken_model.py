"""One broken model hurts only itself: beside good ones in the library, Home, Generate, Latent and the sidebar's
picker keep working, and name the broken model with its reason."""
from __future__ import annotations

import json
import shutil

import pytest

from tests.apptest_helpers import REPO, run_app

PRETRAINED = REPO / "pretrained"


@pytest.fixture(autouse=True)
def library_with_broken_models(tmp_path, monkeypatch):
    """Two good copies of shipped models and three broken ones: truncated weights, a config with a non-numeric
    hidden size, and weights whose bytes no longer match their checksum (found only when loaded)."""
    home = tmp_path / "models"
    home.mkdir()
    for name in ("my-ae", "truncated", "bad-config"):
        shutil.copytree(PRETRAINED / "ae", home / name)
    shutil.copytree(PRETRAINED / "vae", home / "my-vae")
    shutil.copytree(PRETRAINED / "vae", home / "flipped")
    weights = home / "truncated" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    config = json.loads((home / "bad-config" / "config.json").read_text())
    config["model"]["hidden"] = ["x"]
    (home / "bad-config" / "config.json").write_text(json.dumps(config))
    data = bytearray((home / "flipped" / "model.safetensors").read_bytes())
    data[-10] ^= 0xFF
    (home / "flipped" / "model.safetensors").write_bytes(bytes(data))
    monkeypatch.setenv("AELAB_HOME", str(home))


def _all_text(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "warning", "error", "info") for e in getattr(at, kind)]
    parts += [e.value for kind in ("caption", "warning", "error", "info") for e in getattr(at.sidebar, kind)]
    return " ".join(str(p) for p in parts)


def test_the_list_marks_the_broken_models_with_their_reasons():
    from aelab.library.store import list_models

    errors = {info.name: info.error for info in list_models() if info.source == "library"}
    assert errors["my-ae"] is None and errors["my-vae"] is None
    assert "truncated" in errors["truncated"] and "hidden sizes" in errors["bad-config"]
    assert "checksum" in errors["flipped"]  # weights changed after saving: the listing checks the checksum too


def test_the_picker_offers_the_good_models_and_names_the_broken_ones():
    at = run_app()
    picker = next(s for s in at.sidebar.selectbox if s.label == "Model")
    offered = " ".join(picker.options)
    assert "my-ae" in offered and "my-vae" in offered
    assert "truncated" not in offered and "bad-config" not in offered
    sidebar = " ".join(str(e.value) for kind in ("caption", "warning") for e in getattr(at.sidebar, kind))
    assert "truncated" in sidebar and "bad-config" in sidebar


def test_a_model_failing_only_when_loaded_is_named_and_the_rest_keeps_working():
    at = run_app("pages/generate.py")
    assert not at.exception
    text = _all_text(at)
    assert "flipped" in text and "checksum" in text
    assert len(at.get("imgs")) or at.image  # the three grids drawn from the good models


@pytest.mark.parametrize("model", ["library/my-ae", "library/flipped"])
@pytest.mark.parametrize("page", [None, "pages/generate.py", "pages/latent.py"])
def test_home_generate_and_latent_work_beside_broken_models(page, model):
    at = run_app(page, model_key=model)
    assert not at.exception, [e.value for e in at.exception]
    text = _all_text(at)
    assert "truncated" in text and "bad-config" in text
    if model == "library/flipped":  # the chosen model itself is broken: said so, and the page does not crash
        assert "flipped" in text


def test_restore_works_and_names_a_model_that_failed_to_load():
    at = run_app("pages/restore.py")  # the Home page, run first, found "flipped" broken when loading the VAEs
    picker = at.multiselect(key="restore_models")
    assert any(o.startswith("my-ae ") for o in picker.options)
    assert not any(o.startswith(("flipped ", "truncated ", "bad-config ")) for o in picker.options)
    assert "flipped" in _all_text(at) and "checksum" in _all_text(at)
