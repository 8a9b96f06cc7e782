"""AppTest of the page views (ui/common/view_state.py): a view set on a page comes back after other pages (their
address cleared, as a browser's page change clears it), Reset view puts it back to its defaults, a link wins over the
kept view, and the three state bugs of the same family: a drawn mask on Denoise reset "Test images scored"; a drawn
digit on Latent cleared a selection; an offline dataset's notice was only in the (hidden while presenting) sidebar."""
from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image
from streamlit.elements.plotly_chart import PlotlySelectionState
from streamlit.testing.v1 import AppTest
from streamlit.typing import PlotlyState

from tests.apptest_helpers import REPO, unescaped
from ui.latent.map import KEY as MAP_KEY
from ui.latent.map import NO_WEBGL_KEY


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "home"))  # (an empty data cache: fashion-mnist needs a download)


def open_app(page: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.query_params.update(query or {})
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def go(at: AppTest, page: str) -> AppTest:
    """Another page through the menu: the browser's address loses the page's parameters (Streamlit keeps only the
    sidebar's, which its binder writes again)."""
    for name in list(at.query_params):
        del at.query_params[name]
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def canvas_state(rgba: np.ndarray) -> dict:
    """A drawable canvas's component state after a stroke (what its frontend sends)."""
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": url}, "backgroundFit": None}


def drawn_one() -> dict:
    """The Latent page's drawing canvas after a one is drawn (a white bar on black, as the canvas sends it)."""
    rgba = np.zeros((240, 240, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[40:200, 110:130, :3] = 255
    return canvas_state(rgba)


def texts(at: AppTest) -> str:
    return " ".join(unescaped(e.value) for kind in ("markdown", "caption", "info", "warning")
                    for e in at.get(kind))


# ------------------------------------------------------------------------------------------------ kept across pages
def test_an_interpolate_view_comes_back_after_two_other_pages_and_reset_puts_the_defaults_back():
    at = open_app("pages/interpolate.py")
    first = (at.selectbox(key="interpolate_b_label").value, at.number_input(key="interpolate_b_pos").value)
    at.selectbox(key="interpolate_b_label").set_value(0).run()  # image B: the first 0 of the test split
    at.slider(key="interpolate_steps").set_value(5).run()
    b, steps = at.number_input(key="interpolate_b_pos").value, at.slider(key="interpolate_steps").value
    b_index = at.query_params["b"]
    assert b_index.startswith("test:") and at.query_params["steps"] == "5"
    go(at, "pages/generate.py")
    go(at, "pages/latent.py")
    go(at, "pages/interpolate.py")
    assert at.selectbox(key="interpolate_b_label").value == 0 and at.number_input(key="interpolate_b_pos").value == b
    assert at.slider(key="interpolate_steps").value == steps
    assert at.query_params["b"] == b_index and at.query_params["steps"] == "5"  # the address says the view again

    at.button(key="reset_view").click().run()
    assert at.slider(key="interpolate_steps").value == 9 and "b" not in at.query_params
    assert (at.selectbox(key="interpolate_b_label").value, at.number_input(key="interpolate_b_pos").value) == first


def test_a_link_wins_over_the_kept_view():
    at = open_app("pages/anomalies.py")
    at.slider(key="anomaly_percentile").set_value(80.0).run()
    go(at, "pages/traverse.py")
    at.query_params["percentile"] = "99"  # Back to an earlier visit, or a link pasted into this tab
    at.switch_page("pages/anomalies.py").run()
    assert at.slider(key="anomaly_percentile").value == 99.0
    go(at, "pages/lessons.py")
    go(at, "pages/anomalies.py")
    assert at.slider(key="anomaly_percentile").value == 99.0  # and it is the kept view from then on


@pytest.mark.parametrize("page, widget, key, value", [
    ("pages/lessons.py", "segmented_control", "lessons_section", "kmeans"),
    ("pages/latent.py", "radio", "latent_method", "umap"),
    ("pages/traverse.py", "number_input", "traverse_k", 2.0),
    ("pages/restore.py", "selectbox", "restore_corruption", "gaussian"),
    ("pages/generate.py", "slider", "generate_side", 5),
    ("pages/train.py", "selectbox", "train_variant", "vae"),
    ("pages/playground.py", "selectbox", "pg_set", "circle"),
    ("pages/applications.py", "radio", "apps_section", "memorisation"),
])
def test_each_pages_view_survives_a_trip_to_two_other_pages(page, widget, key, value):
    at = open_app(page)
    getattr(at, widget)(key=key).set_value(value).run()
    assert not at.exception, [e.value for e in at.exception]
    go(at, "pages/anomalies.py")
    go(at, "pages/home.py")
    go(at, page)
    assert getattr(at, widget)(key=key).value == value


# ------------------------------------------------------------------------------------------------ the three bugs
def test_drawing_a_mask_on_denoise_keeps_the_number_of_test_images_scored():
    at = open_app("pages/restore.py")
    assert at.number_input(key="restore_batch").value == 300
    at.selectbox(key="restore_corruption").set_value("user_mask").run()
    assert "Draw on the canvas" in texts(at)  # nothing drawn yet: the page stops before its table
    drawing = np.zeros((280, 280, 4), np.uint8)
    drawing[100:180, 60:220] = (230, 97, 0, 255)
    at.session_state["restore_canvas"] = canvas_state(drawing)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.number_input(key="restore_batch").value == 300
    assert "Means over 300 of 300 test images" in texts(at)
    assert "n" not in at.query_params and at.query_params["kind"] == "user_mask" and "mask" in at.query_params


def map_spec(at: AppTest) -> dict:
    """The WebGL map's spec in this run (the live decoder's "map" view)."""
    return next(json.loads(e.proto.json_args)["spec"] for e in at.get("component_instance")
                if json.loads(e.proto.json_args).get("mode") == "map")


@pytest.mark.parametrize("webgl", [True, False], ids=["webgl-map", "plotly-map"])
def test_drawing_a_digit_on_latent_keeps_the_selection(webgl):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    if not webgl:  # the browser said it has no WebGL: the Plotly map
        at.session_state[NO_WEBGL_KEY] = "no WebGL"
    at.switch_page("pages/latent.py").run()
    assert not at.exception, [e.value for e in at.exception]
    if webgl:  # a lasso on the map, as its frame sends it
        at.session_state[MAP_KEY] = {"n": "t-1", "event": "release", "selection": list(range(30))}
    else:
        lasso = [{"curve_number": 1, "point_index": i, "x": 0.0, "y": 0.0, "customdata": i} for i in range(30)]
        at.session_state["scatter"] = PlotlyState({"selection": PlotlySelectionState(
            {"points": lasso, "point_indices": list(range(30)), "box": [], "lasso": []})})
    at.run()
    assert "30 points selected" in texts(at) and at.query_params["sel"] == "mnist-5k~0-29"
    at.session_state["canvas"] = drawn_one()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "30 points selected" in texts(at) and at.query_params["sel"] == "mnist-5k~0-29"
    if webgl:  # the map keeps the selection and marks the digit
        spec = map_spec(at)
        assert spec["selected"] == list(range(30)) and [m[2] for m in spec["marks"]] == ["your digit"]
    else:
        traces = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
        assert "your digit" in [trace.get("name") for trace in traces]
    assert "30 points selected" in texts(at) and at.query_params["sel"] == "mnist-5k~0-29"
    assert at.query_params["digit"].startswith("28x28.4.")


def test_a_dataset_that_needs_a_download_says_so_above_the_page_while_presenting():
    at = open_app("pages/traverse.py", {"data": "fashion-mnist", "present": "1"})
    main = " ".join(unescaped(w.value) for w in at.main.warning)
    assert "fashion-mnist is not on this machine yet" in main and "shows mnist-5k" in main
    assert any(b.label == "Download fashion-mnist" for b in at.main.button)
    assert at.query_params["data"] == "fashion-mnist"  # the address says what was asked, the page what it shows


def test_the_page_remembers_which_fragment_drew_each_widget():
    """What view_store.fragment checks when a fragment reruns alone: Interpolate's steps slider was drawn by its rows
    fragment, the sidebar's dataset picker by the page itself, each with the value it showed."""
    at = open_app("pages/interpolate.py")
    drawn = {key: where for state in at.session_state["views"].values() for key, where in state.drawn.items()}
    fragment, steps = drawn["interpolate_steps"]
    assert fragment and steps == at.slider(key="interpolate_steps").value
    assert drawn["dataset"][0] is None and drawn["dataset"][1] == at.selectbox(key="dataset").value
