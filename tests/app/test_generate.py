"""AppTest of the Generate page: three grids, resample, the same seed gives the same grids, refusals."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from tests.apptest_helpers import run_app, texts, unmodelled_dataset


@pytest.fixture(autouse=True)
def private_library(tmp_path, monkeypatch):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "library"))


def _pictures(at, media):
    """The three grids as the browser receives them (left to right)."""
    return [np.asarray(Image.open(io.BytesIO(media[image.url.rsplit("/", 1)[-1].split(".")[0]])))
            for element in at.get("image") for image in element.proto.imgs if "samples, seed" in image.caption]


def test_three_grids_with_their_notes_and_resample_changes_them(media):
    at = run_app("pages/generate.py")
    first = _pictures(at, media)
    assert len(first) == 3 and first[0].shape == first[1].shape
    page = texts(at)
    assert "codes from the prior" in page and "fitted to its codes" in page and "Why N(0, I) fails" in page
    at.button(key="generate_resample").click().run()
    assert not at.exception and at.session_state["generate_seed"] == 1
    second = _pictures(at, media)
    assert all(not np.array_equal(a, b) for a, b in zip(first, second))
    at.number_input(key="generate_seed").set_value(0).run()
    assert all(np.array_equal(a, b) for a, b in zip(first, _pictures(at, media)))


def test_grid_side_and_temperature_change_the_grids(media, monkeypatch):
    monkeypatch.setenv("AELAB_LIVE", "0")  # the server's own temperature slider: the page's one control then
    at = run_app("pages/generate.py")
    small = _pictures(at, media)[0]
    at.slider(key="generate_side").set_value(4).run()
    assert _pictures(at, media)[0].shape[0] < small.shape[0]
    before = _pictures(at, media)[0]
    at.slider(key="generate_temperature").set_value(0.3).run()
    assert not np.array_equal(before, _pictures(at, media)[0]) and not at.exception


def test_the_page_has_one_temperature_control_the_live_grids_where_it_runs(monkeypatch):
    monkeypatch.delenv("AELAB_LIVE", raising=False)
    at = run_app("pages/generate.py")
    [grid] = [e for e in at.get("component_instance") if e.proto.id.endswith("generate_live")]
    assert json.loads(grid.proto.json_args)["spec"]["label"] == "Temperature"
    assert not [s for s in at.slider if "emperature" in s.label]  # no second slider on the server's side
    monkeypatch.setenv("AELAB_LIVE", "0")
    off = run_app("pages/generate.py")
    assert [s.label for s in off.slider if "emperature" in s.label] == ["Temperature"]
    assert not [e for e in off.get("component_instance") if e.proto.id.endswith("generate_live")]


def test_choosing_the_two_latent_models():
    at = run_app("pages/generate.py")
    at.selectbox(key="generate_vae").set_value("pretrained/vae-2d").run()
    at.selectbox(key="generate_ae").set_value("pretrained/ae-2d").run()
    assert not at.exception and "N(0, I) have norm about 1.4" in texts(at)


def test_without_a_vae_for_the_image_size_the_page_says_what_to_train():
    at = run_app(**unmodelled_dataset())
    at.switch_page("pages/generate.py").run()
    assert not at.exception and "needs a VAE and a plain autoencoder for 12x12 images" in texts(at)


def test_the_bundled_8x8_digits_have_their_own_vae_and_ae(media):
    """sklearn's digits ship with digits-vae and digits-ae, so the page works offline on both bundled sources (the
    lesson's measure at 8x8 is in tests/test_generation.py)."""
    at = run_app("pages/generate.py", dataset="digits")
    assert not at.exception and len(_pictures(at, media)) == 3
    assert at.selectbox(key="generate_vae").value == "pretrained/digits-vae"
    assert at.selectbox(key="generate_ae").value == "pretrained/digits-ae"


@pytest.mark.parametrize("current, vae, ae", [("pretrained/vae-2d", "pretrained/vae-2d", "pretrained/ae-2d"),
                                              ("pretrained/ae-2d", "pretrained/vae-2d", "pretrained/ae-2d"),
                                              ("pretrained/conv_ae", "pretrained/vae", "pretrained/conv_ae")])
def test_the_comparison_model_defaults_to_the_sidebar_models_latent_size(current, vae, ae):
    at = run_app("pages/generate.py", model_key=current)
    assert (at.selectbox(key="generate_vae").value, at.selectbox(key="generate_ae").value) == (vae, ae)
