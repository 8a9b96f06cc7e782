"""AppTest of the Latent Space page: every map renders, selections and drawings injected as the browser would send
them show the matching images, 2-latent models get the decoded plane, VAE diagnostics only for VAEs."""
from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest
from PIL import Image
from streamlit.elements.plotly_chart import PlotlySelectionState
from streamlit.typing import PlotlyState

from tests.apptest_helpers import run_app, texts
from ui.latent.map import NO_WEBGL_KEY

PAGE = "pages/latent.py"
# These tests read the Plotly map: the page's path where the browser said it has no WebGL (the WebGL map and its
# messages are tests/app/test_latent_map.py's)
PLOTLY = {NO_WEBGL_KEY: "this browser has no WebGL"}


@pytest.fixture(autouse=True)
def private_library(monkeypatch, tmp_path):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))


def chart_spec(at, index: int = 0) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def values(array) -> np.ndarray:
    """A trace's x/y as numbers: Plotly 7 sends numpy arrays as {"dtype", "bdata" (base64)}."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
    return np.asarray(array)


def point_count(at, traces=None) -> int:
    return sum(len(values(t["x"])) for t in chart_spec(at)["data"] if traces is None or t["name"] in traces)


def trace_names(at) -> list[str]:
    return [trace.get("name") for trace in chart_spec(at)["data"]]


def image_captions(at) -> list[str]:
    """The caption of every picture st.image drew (one st.image call may draw several), but the attribute vector's
    strip, which the page always draws under them (tests/app/test_latent_attributes.py)."""
    return [caption for element in at.get("image") for caption in element.captions if not caption.startswith("alpha =")]


def select(at, points: list[dict]):
    """Inject a Plotly selection as the browser sends it (COOKBOOK): points with curve_number, point_index, x, y and
    customdata (the dataset index on data traces)."""
    at.session_state["scatter"] = PlotlyState({"selection": PlotlySelectionState(
        {"points": points, "point_indices": [p["point_index"] for p in points], "box": [], "lasso": []})})
    return at.run()


def canvas_state(rgba: np.ndarray) -> dict:
    """The drawable canvas's component state, as its frontend sets it after a stroke."""
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": url}, "backgroundFit": None}


def stroke_seven(size: int = 240) -> np.ndarray:
    import cv2

    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[..., 3] = 255
    cv2.polylines(rgba, [np.array([[60, 50], [180, 50], [110, 200]], np.int32)], False, (255, 255, 255, 255), 20)
    return rgba


def test_pca_map_renders_with_one_trace_per_class_and_csv(media):
    at = run_app(PAGE, **PLOTLY, model_key="pretrained/ae")
    assert at.radio(key="latent_method").value == "pca"
    names = trace_names(at)
    assert names == [str(d) for d in range(10)]
    spec = chart_spec(at)
    assert point_count(at) == 1000
    assert "index %{customdata}" in spec["data"][0]["hovertemplate"]
    assert "dragmode" not in spec["layout"]  # COOKBOOK: a set dragmode stops click selection
    assert (spec["layout"]["xaxis"]["title"]["text"], spec["layout"]["yaxis"]["title"]["text"]) == ("PC1", "PC2")
    csv = at.download_button(key="download_csv")
    assert csv.proto.label.startswith("Download coordinates")
    header = media[csv.proto.url.rsplit("/", 1)[-1].split(".")[0]].decode().splitlines()[0]
    assert header == ",".join(["index", "label", "class", "PC1", "PC2", *[f"z{j}" for j in range(1, 17)]])
    assert "VAE diagnostics" in texts(at) and "deterministic autoencoder" in texts(at)
    assert "Choose a VAE (cvae, vae, vae-2d) in the sidebar" in texts(at)  # the VAEs that fit this dataset


def test_the_bundled_8x8_digits_open_on_their_shipped_model_and_name_its_vae():
    at = run_app(PAGE, **PLOTLY, dataset="digits")
    assert at.session_state["model_key"] == "pretrained/digits-ae" and not at.exception
    assert point_count(at) == 359  # the test split, one point per image
    assert "Choose a VAE (digits-vae) in the sidebar" in texts(at)
    at.radio(key="latent_method").set_value("umap").run()
    assert not at.exception and point_count(at) == 359  # the shipped projection: no fit in the test


def test_umap_uses_the_shipped_projection_and_raw_dims_render():
    at = run_app(PAGE, **PLOTLY, model_key="pretrained/vae")
    at.radio(key="latent_method").set_value("umap").run()
    assert not at.exception
    assert "precomputed when this model was built" in texts(at)
    assert chart_spec(at)["layout"]["xaxis"]["title"]["text"] == "UMAP-1"
    assert chart_spec(at)["layout"]["yaxis"]["title"]["text"] == "UMAP-2"
    at.select_slider(key="latent_points").set_value(250).run()  # a subset of the shipped map, not a new fit
    assert point_count(at) == 250
    at.radio(key="latent_method").set_value("raw").run()
    x_key = "dim_x"
    assert at.selectbox(key=x_key).options == [f"z{j}" for j in range(1, 17)]  # 1-based, as the axis titles
    at.selectbox(key=x_key).set_value(3).run()  # the fourth dimension
    assert chart_spec(at)["layout"]["xaxis"]["title"]["text"] == "z4"
    y_key = x_key.replace("dim_x", "dim_y")
    at.selectbox(key=y_key).set_value(3).run()  # the same dimension twice: a message, not a crash
    assert not at.exception and "two different dimensions" in " ".join(e.value for e in at.error)


def test_selected_point_shows_its_image_and_neighbours_and_lasso_shows_a_grid():
    at = run_app(PAGE, **PLOTLY, model_key="pretrained/ae")
    assert not image_captions(at)
    select(at, [{"curve_number": 1, "point_index": 0, "x": 0.0, "y": 0.0, "customdata": 17}])
    assert not at.exception
    assert "Point #17" in texts(at) and "nearest codes" in texts(at)
    captions = image_captions(at)
    assert captions[:2] == ["original", "reconstruction"]
    assert len([c for c in captions if " d=" in c]) == 8  # its 8 nearest codes, each with its distance
    assert all("#17 " not in c for c in captions[2:])  # itself excluded
    lasso = [{"curve_number": 1, "point_index": i, "x": 0.0, "y": 0.0, "customdata": int(i)} for i in range(30)]
    select(at, lasso)
    assert "30 points selected" in texts(at)
    assert {"originals", "reconstructions"} <= set(image_captions(at))


def test_drawing_gives_a_reconstruction_a_percentile_and_a_star():
    at = run_app(PAGE, **PLOTLY, model_key="pretrained/ae")
    at.session_state["canvas"] = canvas_state(stroke_seven())
    at.run()
    assert not at.exception
    body = texts(at)
    assert re.search(r"Reconstruction error [0-9.]+\*\*: higher than \*\*\d+%\*\* of the 1,000 test images", body)
    assert "your digit" in trace_names(at)
    at.radio(key="latent_method").set_value("umap").run()  # shipped map: placed by its neighbours, and said so
    assert "your digit" in trace_names(at) and "nearest codes' positions" in texts(at)


def test_empty_canvas_asks_for_a_drawing():
    at = run_app(PAGE, **PLOTLY, model_key="pretrained/ae")
    blank = np.zeros((240, 240, 4), np.uint8)
    blank[..., 3] = 255
    at.session_state["canvas"] = canvas_state(blank)
    at.run()
    assert not at.exception
    assert any("Draw something first" in e.value for e in at.info)
    assert "your digit" not in trace_names(at)


def test_two_latent_vae_shows_the_manifold_under_the_points_and_decodes_a_clicked_spot():
    at = run_app(PAGE, **PLOTLY, model_key="pretrained/vae-2d")
    assert at.radio(key="latent_method").value == "raw"
    spec = chart_spec(at)
    images = spec["layout"]["images"]
    assert len(images) == 1 and images[0]["source"].startswith("data:image/png") and images[0]["layer"] == "below"
    assert spec["data"][0]["name"] == "latent plane" and len(values(spec["data"][0]["x"])) == 70 * 70
    select(at, [{"curve_number": 0, "point_index": 5, "x": 0.5, "y": -1.0}])
    assert (spec["layout"]["xaxis"]["title"]["text"], spec["layout"]["yaxis"]["title"]["text"]) == ("z1", "z2")
    assert "Decoded from z1 = 0.50, z2 = -1.00" in texts(at)
    assert "decoded at the clicked point" in image_captions(at)
    at.toggle(key="manifold_quantiles").set_value(True).run()  # Kingma & Welling: axes Phi(z), grid even in them
    spec = chart_spec(at)
    assert spec["layout"]["xaxis"]["title"]["text"] == "Φ(z1): prior quantile"
    data = [t for t in spec["data"] if t["name"] in [str(d) for d in range(10)]]
    xs = np.concatenate([values(t["x"]) for t in data])
    assert 0 < xs.min() and xs.max() < 1 and 0.3 < np.median(xs) < 0.7  # a VAE's codes spread over the prior
    image = spec["layout"]["images"][0]
    assert image["x"] == pytest.approx(0.02) and image["sizex"] == pytest.approx(0.96)
    select(at, [{"curve_number": 0, "point_index": 5, "x": 0.5, "y": 0.8413447}])  # Phi(0), Phi(1)
    assert "Decoded from z1 = 0.00, z2 = 1.00" in texts(at)
    assert "Active units" in [m.label for m in at.metric]
    bars = next(json.loads(c.proto.spec)["data"][0] for c in at.get("plotly_chart")
                if json.loads(c.proto.spec)["data"][0].get("type") == "bar")  # the KL per dimension
    assert list(bars["x"]) == ["z1", "z2"]
    assert at.metric[0].value.endswith("of 2")


def test_two_latent_ae_has_manifold_and_no_vae_toggle():
    at = run_app(PAGE, **PLOTLY, model_key="pretrained/ae-2d")
    assert chart_spec(at)["layout"]["images"]
    assert "manifold_quantiles" not in [t.key for t in at.toggle]
    assert "deterministic autoencoder" in texts(at)


def test_a_one_latent_session_model_on_8x8_digits(monkeypatch, tmp_path):
    """A model of this session (not saved), with a 1-D code, on sklearn's 8x8 digits: no raw-axes map is offered,
    the PCA map is a line, and a drawing is scaled to the 8x8 images' layout before encoding."""
    from pathlib import Path

    from aelab.library.store import ModelRecord
    from aelab.models.autoencoder import create_model
    from aelab.models.variants import make_configs

    monkeypatch.setenv("AELAB_DATA_DIR", str(tmp_path / "data"))
    model_config, train_config = make_configs("ae", (8, 8), {"latent_dim": 1, "hidden": (16,)}, {})
    record = ModelRecord(create_model(model_config, 0), "line", Path("session") / "line", "ae", model_config,
                         train_config, "digits")
    at = run_app(PAGE, **PLOTLY, dataset="digits", model_key="session/line", session_models={"line": record})
    assert at.session_state["model_key"] == "session/line"
    assert at.radio(key="latent_method").options == ["PCA", "UMAP"]
    ys = np.concatenate([values(t["y"]) for t in chart_spec(at)["data"]])
    assert np.all(ys == 0)
    assert chart_spec(at)["layout"]["xaxis"]["title"]["text"] == "PC1"  # one component: no PC2 to name
    assert chart_spec(at)["layout"]["yaxis"].get("title", {}).get("text", "") == ""
    at.session_state["canvas"] = canvas_state(stroke_seven())
    at.run()
    assert not at.exception and "your digit" in trace_names(at)
    assert re.search(r"of the 359 test images", texts(at))
