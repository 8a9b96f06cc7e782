"""AppTest of the Latent page's attribute vectors (ui/latent/attributes.py): two labels' mean codes make the vector
the live scrub moves along (anchors z and z + v), a released alpha becomes the view's and the link's, two lassoed
sets make it too, and the drawn digit can be what moves."""
from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from aelab.analysis.latent import encode_dataset
from aelab.data.sources import load_dataset
from aelab.library.store import PRETRAINED_ROOT, load_model
from tests.app.test_views import drawn_one
from tests.apptest_helpers import REPO, run_app, texts
from ui.latent.attributes import KEY
from ui.latent.map import KEY as MAP_KEY

PAGE = "pages/latent.py"


@pytest.fixture(autouse=True)
def private_library(monkeypatch, tmp_path):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))


def scrub_spec(at) -> dict:
    return next(json.loads(e.proto.json_args)["spec"] for e in at.get("component_instance")
                if e.proto.id.endswith(KEY))


@pytest.fixture(scope="module")
def codes():
    """The map's codes (the first 1,000 test images, the page's default) and labels for pretrained/ae."""
    data = load_dataset("mnist-5k")
    z = encode_dataset(load_model(PRETRAINED_ROOT / "ae").model, data.x_test[:1000]).numpy()
    return z, data.y_test[:1000].numpy()


def test_two_labels_make_the_vector_the_slider_moves_an_image_along(codes):
    z, labels = codes
    at = run_app(PAGE, model_key="pretrained/ae")
    at.selectbox(key="latent_attr_la").set_value(1).run()
    at.selectbox(key="latent_attr_lb").set_value(7).run()
    spec = scrub_spec(at)
    v = z[labels == 7].mean(0) - z[labels == 1].mean(0)
    start = np.asarray(spec["anchors"][0])
    assert np.allclose(start, z[np.flatnonzero(labels == 1)[0]], atol=1e-4)  # group A's first image by default
    assert np.allclose(np.asarray(spec["anchors"][1]) - start, v, atol=1e-3)
    assert (spec["low"], spec["high"], spec["t"]) == (-2.0, 3.0, 1.0)
    at.session_state[KEY] = {"n": "t-1", "event": "release", "t": 2.5}  # let go at alpha = 2.5
    at.run()
    assert "Where you let go: alpha = 2.50" in texts(at) and at.query_params["alpha"] == "2.5"
    assert at.query_params["la"] == "1" and at.query_params["lb"] == "7"
    at.number_input(key="latent_attr_image").set_value(5).run()
    assert np.allclose(scrub_spec(at)["anchors"][0], z[5], atol=1e-4) and at.query_params["to"] == "5"


def test_two_lassoed_sets_make_the_vector_and_travel_in_the_link(codes):
    z, _ = codes
    at = run_app(PAGE, model_key="pretrained/ae")
    at.radio(key="latent_attr_groups").set_value("sets").run()
    assert "Group A = the selection" in texts(at) + " ".join(b.label for b in at.button)
    for n, (chosen, side) in enumerate([(list(range(0, 40)), "a"), (list(range(500, 530)), "b")]):
        at.session_state[MAP_KEY] = {"n": f"t-{n}", "event": "release", "selection": chosen}  # a lasso on the map
        at.run()
        at.button(key=f"latent_attr_take_{side}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    spec = scrub_spec(at)
    v = z[500:530].mean(0) - z[0:40].mean(0)
    assert np.allclose(np.asarray(spec["anchors"][1]) - np.asarray(spec["anchors"][0]), v, atol=1e-3)
    assert at.query_params["ga"] == "mnist-5k~0-39" and at.query_params["gb"] == "mnist-5k~500-529"
    linked = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)  # the same view from its link
    linked.query_params.update({"model": "pretrained/ae", "groups": "sets", "ga": "mnist-5k~0-39",
                                "gb": "mnist-5k~500-529"})
    linked.switch_page(PAGE).run()
    assert np.allclose(scrub_spec(linked)["anchors"], spec["anchors"], atol=1e-5)


def test_the_drawn_digit_is_what_moves_when_one_is_drawn():
    at = run_app(PAGE, model_key="pretrained/ae")
    at.session_state["canvas"] = drawn_one()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert scrub_spec(at)["label"].startswith("alpha: your digit")
    at.toggle(key="latent_attr_digit").set_value(False).run()
    assert scrub_spec(at)["label"].startswith("alpha: image #")
