"""AppTest of the Latent page's WebGL map (ui/latent/map.py): what the page sends the map (every point, its colour,
the affine decode of a map point), what it does with the map's messages as the browser sends them (a lasso becomes
the view's selection and fills the panels, a settled camera is kept, no WebGL switches to the Plotly map, drawn in
SVG), and that UMAP decodes through its learned inverse chained with the decoder."""
from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.decomposition import PCA
from streamlit.testing.v1 import AppTest

from aelab.analysis.latent import encode_dataset
from aelab.data.sources import load_dataset
from aelab.library.store import PRETRAINED_ROOT, load_model
from tests.apptest_helpers import REPO, map_args, run_app, texts
from ui.latent.map import FIND_KEY, FIND_PX, KEY, NO_WEBGL_KEY, VIRIDIS, typical_spacing

PAGE = "pages/latent.py"


@pytest.fixture(autouse=True)
def private_library(monkeypatch, tmp_path):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))


def linked(query: dict) -> AppTest:
    """The page opened from a link carrying query."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.query_params.update(query)
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def message(at, n: str, **value):
    """A message of the map as its frame sends it (frontend/map.js through live.js: a release with a fresh id)."""
    at.session_state[KEY] = {"n": n, "event": "release", **value}
    return at.run()


def test_the_pca_map_draws_every_point_and_decodes_a_map_point_as_the_pca_inverse():
    at = run_app(PAGE, model_key="pretrained/vae")
    spec = map_args(at)["spec"]
    assert len(spec["x"]) == len(spec["y"]) == len(spec["c"]) == len(spec["index"]) == 1000
    assert not any("scatter" in str(c.proto.id) for c in at.get("plotly_chart"))  # no Plotly map beside it
    assert [name for name, _ in spec["legend"]] == [str(d) for d in range(10)]
    # a map point (u, v) decodes origin + u axes[0] + v axes[1]: scikit-learn's PCA inverse of (u, v)
    model = load_model(PRETRAINED_ROOT / "vae").model  # the model the page shows, read here too
    z = encode_dataset(model, load_dataset("mnist-5k").x_test[:1000]).numpy()
    reducer = PCA(n_components=2).fit(z)  # scikit-learn's, which aelab's PCA matches (signs included)
    u, v = 1.25, -0.5
    code = np.asarray(spec["origin"]) + u * np.asarray(spec["axes"][0]) + v * np.asarray(spec["axes"][1])
    assert np.allclose(code, reducer.inverse_transform([[u, v]])[0], atol=1e-4)
    assert np.allclose(spec["x"], reducer.transform(z)[:, 0], atol=1e-3)
    assert "code mean + the PCA inverse" in texts(at)


def test_a_lasso_becomes_the_views_selection_fills_the_panels_and_travels_in_the_link():
    at = run_app(PAGE, model_key="pretrained/ae")
    message(at, "t-1", selection=[3, 5, 8, 5, 5000, "x"])  # repeats, past the map, not a number: left out
    assert not at.exception, [e.value for e in at.exception]
    assert "3 points selected" in texts(at)
    assert map_args(at)["spec"]["selected"] == [3, 5, 8]  # the map shows the view's selection
    assert "sel" in at.query_params
    message(at, "t-2", selection=[])  # a deselect on the map clears it
    assert "points selected" not in texts(at) and "sel" not in at.query_params


def test_the_camera_and_the_colouring_are_view_state():
    at = run_app(PAGE, model_key="pretrained/ae")
    message(at, "t-1", camera=[0.5, -1.25, 3.0])
    assert map_args(at)["spec"]["camera"] == [0.5, -1.25, 3.0]
    assert at.query_params["cam"] == "0.5,-1.25,3"
    message(at, "t-2", camera=[0.5, float("nan"), 3.0])  # not a camera: the kept one stays
    assert map_args(at)["spec"]["camera"] == [0.5, -1.25, 3.0]
    at.selectbox(key="latent_map_colour").set_value("error").run()
    spec = map_args(at)["spec"]
    assert spec["colours"] == VIRIDIS and set(spec["c"]) <= set(range(len(VIRIDIS))) and len(set(spec["c"])) >= 4
    assert spec["legend"][-1][0].endswith("(MSE)") and at.query_params["colour"] == "error"
    at.switch_page("pages/traverse.py").run()
    at.switch_page(PAGE).run()  # another page and back: the view comes back as it was left
    spec = map_args(at)["spec"]
    assert spec["camera"] == [0.5, -1.25, 3.0] and spec["colours"] == VIRIDIS


def test_colouring_by_one_latent_dimension_orders_the_points_by_its_value():
    at = linked({"model": "pretrained/ae", "colour": "z3"})  # a link's colouring
    spec = map_args(at)["spec"]
    assert at.selectbox(key="latent_map_colour").value == "z3" and spec["colours"] == VIRIDIS
    assert spec["legend"][-1][0].endswith("(z3)") and len(set(spec["c"])) == len(VIRIDIS)
    model = load_model(PRETRAINED_ROOT / "ae").model
    z3 = encode_dataset(model, load_dataset("mnist-5k").x_test[:len(spec["c"])]).numpy()[:, 2]
    bins = np.asarray(spec["c"])
    # a higher bin never holds a lower value than a lower bin's (up to the outliers clipped into the end bins)
    assert all(np.median(z3[bins == b]) < np.median(z3[bins == b + 1]) for b in range(len(VIRIDIS) - 1))
    at = linked({"model": "pretrained/ae", "colour": "z99"})  # no such dimension: the default
    assert at.selectbox(key="latent_map_colour").value == "label" and map_args(at)["spec"]["colours"] != VIRIDIS


def test_finding_an_image_by_its_index_selects_it_and_centres_the_map_on_it():
    at = run_app(PAGE, model_key="pretrained/ae")
    spec = map_args(at)["spec"]
    at.number_input(key=FIND_KEY).set_value(417).run()
    assert not at.exception, [e.value for e in at.exception]
    found = map_args(at)["spec"]
    assert found["selected"] == [417] and "Point #417" in texts(at)  # the panel of one image and its neighbours
    assert found["camera"][:2] == pytest.approx([spec["x"][417], spec["y"][417]], abs=1e-4)
    # zoomed until the typical spacing between points is FIND_PX pixels: the images are the marks there
    low, high = spec["extent"][:2]
    spacing = typical_spacing(np.column_stack([spec["x"], spec["y"]]))
    assert found["camera"][2] * spacing * spec["height"] / (high - low) == pytest.approx(FIND_PX, rel=1e-3)
    assert at.number_input(key=FIND_KEY).value is None  # the box is ready for the next index
    assert "cam" in at.query_params and at.query_params["sel"] == "mnist-5k~417"


def test_umap_decodes_through_its_learned_inverse_and_a_browser_without_webgl_gets_plotly():
    at = run_app(PAGE, model_key="pretrained/vae")
    at.radio(key="latent_method").set_value("umap").run()
    args = map_args(at)
    assert not at.exception and args is not None and args["latent_dim"] == 2  # the chain takes (u, v)
    assert args["spec"]["origin"] == [0.0, 0.0] and args["spec"]["axes"] == [[1.0, 0.0], [0.0, 1.0]]
    assert "-map-" in args["hash"]  # its own model in the browser, not the plain decoder
    assert "a small network learned from this map's 900 points" in texts(at)
    message(at, "t-1", nowebgl="this browser has no WebGL")
    assert map_args(at) is None and at.session_state[NO_WEBGL_KEY] == "this browser has no WebGL"
    assert "The WebGL map is off (this browser has no WebGL): this is the Plotly map." in texts(at)
    assert all("gl" not in json.loads(c.proto.spec)["data"][0].get("type", "") for c in at.get("plotly_chart"))


def test_the_maps_images_travel_only_when_the_browser_asks_for_them():
    at = run_app(PAGE, model_key="pretrained/ae")
    element = next(e for e in at.get("component_instance") if json.loads(e.proto.json_args).get("mode") == "map")
    args = json.loads(element.proto.json_args)
    thumbs = args["spec"]["thumbs"]
    assert args["blob_hashes"] == [] and not {s.key: s.bytes for s in element.proto.special_args}.get("blob_0")
    assert 0 < args["spec"]["spacing"] < 1 and args["spec"]["thumb_min_px"] > 0
    at.session_state[KEY] = {"n": "t-1", "event": "need_blob", "blob": [thumbs["hash"]]}  # as live.js asks
    at.run()
    element = next(e for e in at.get("component_instance") if json.loads(e.proto.json_args).get("mode") == "map")
    assert json.loads(element.proto.json_args)["blob_hashes"] == [thumbs["hash"]]
    sent = {s.key: s.bytes for s in element.proto.special_args}["blob_0"]
    pixels = np.frombuffer(sent, np.uint8).reshape(thumbs["n"], thumbs["height"], thumbs["width"])
    expected = (load_dataset("mnist-5k").x_test[:thumbs["n"], 0].numpy() * 255).round()
    assert np.abs(pixels.astype(int) - expected).max() <= 1  # the map's images, in the map's order
    at.run()  # the next run sends them no more
    element = next(e for e in at.get("component_instance") if json.loads(e.proto.json_args).get("mode") == "map")
    assert not {s.key: s.bytes for s in element.proto.special_args}.get("blob_0")


def map_specs(at) -> dict[str, dict]:
    """Every WebGL map's spec in this run, by its component key."""
    return {e.proto.id: json.loads(e.proto.json_args)["spec"] for e in at.get("component_instance")
            if json.loads(e.proto.json_args).get("mode") == "map"}


def test_models_side_by_side_share_the_selection_and_travel_in_the_link():
    at = run_app(PAGE, model_key="pretrained/ae")
    at.multiselect(key="latent_compare").set_value(["pretrained/vae", "pretrained/pca"]).run()
    assert not at.exception, [e.value for e in at.exception]
    specs = map_specs(at)
    assert len(specs) == 3 and all(s["link"] == "latent" and s["recons"]["hash"] for s in specs.values())
    assert len({s["recons"]["hash"] for s in specs.values()}) == 3  # each model's own reconstructions
    assert len({s["thumbs"]["hash"] for s in specs.values()}) == 1  # the same images
    compared = next(key for key in specs if key.endswith("latent_map_cmp0"))
    assert not np.allclose(specs[compared]["x"], next(s for k, s in specs.items() if k != compared)["x"])
    at.session_state["latent_map_cmp0"] = {"n": "t-1", "event": "release", "selection": [4, 9, 12]}  # a lasso there
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert all(s["selected"] == [4, 9, 12] for s in map_specs(at).values())  # every map shows it
    assert "3 points selected" in texts(at) and at.query_params["cmp"] == "pretrained/vae,pretrained/pca"
    linked = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)  # the link brings the maps back
    linked.query_params.update({"model": "pretrained/ae", "cmp": "pretrained/vae,pretrained/pca"})
    linked.switch_page(PAGE).run()
    assert len(map_specs(linked)) == 3


def test_every_image_of_the_dataset_on_one_map():
    at = linked({"model": "pretrained/ae", "split": "all", "points": "5000"})  # 1,000 test then 4,000 training
    spec = map_args(at)["spec"]
    data = load_dataset("mnist-5k")
    assert len(spec["x"]) == 5000 and spec["index"] == list(range(5000)) and spec["thumbs"]["n"] == 5000
    labels = np.concatenate([data.y_test.numpy(), data.y_train.numpy()])
    assert spec["c"] == labels.tolist()  # coloured by label, in the map's order: test first, then training
    assert spec["point_size"] < 6  # smaller marks for a crowded map
    message(at, "t-1", selection=[1200])  # a training image
    assert not at.exception, [e.value for e in at.exception]
    assert "Point #1200" in texts(at) and at.query_params["sel"] == "mnist-5k~1200"
    at.radio(key="latent_split").set_value("test").run()  # back to the test images: that selection is not on it
    assert len(map_args(at)["spec"]["x"]) == 1000 and map_args(at)["spec"]["selected"] == []
