"""AppTest of what cached results may be shared: two sessions' uploads of the same file name, a library model replaced
under its name, and two sessions' unsaved models of the same name each get their own numbers and pictures."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from aelab.data.sources import load_dataset
from tests.app.test_train import set_knobs
from tests.apptest_helpers import rerun_until, run_app, texts
from ui.train.lifecycle import job_manager


@pytest.fixture(autouse=True)
def private_library(tmp_path, monkeypatch):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))
    return tmp_path / "models"


def npz(x: np.ndarray, y: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, x=x, y=y)
    return buffer.getvalue()


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    """Drop a file on the sidebar's uploader, as a user does."""
    at.sidebar.file_uploader[0].set_value((name, content, "application/octet-stream")).run()
    assert not at.exception and not at.sidebar.error
    return at


def traverse_sliders(at: AppTest) -> list[tuple[str, float, float]]:
    """Each dimension's slider on the Traverse page: its label (the codes' variance) and range (their spread)."""
    at.switch_page("pages/traverse.py").run()
    assert not at.exception
    live = [e for e in at.get("component_instance") if e.proto.id.endswith("traverse_live")]
    if live:  # the sliders the browser draws (live decoding): their labels and ranges come in the component's spec
        spec = json.loads(live[0].proto.json_args)["spec"]
        return [(spec["labels"][rank], spec["lows"][d], spec["highs"][d]) for rank, d in enumerate(spec["dims"])]
    return [(s.label, s.min, s.max) for s in at.slider if s.label.startswith("z")]


def anomaly_table(at: AppTest):
    at.switch_page("pages/anomalies.py").run()
    assert not at.exception
    return at.table[0].value


def map_points(at: AppTest, page: str, chart_key: str, trace: int = 0) -> list[float]:
    """x of the points of a page's map of the test codes: the WebGL map's, or one trace of its Plotly chart."""
    at.switch_page(page).run()
    assert not at.exception
    for element in at.get("component_instance"):  # the WebGL map (the live decoder's "map" view) sends its points
        args = json.loads(element.proto.json_args)
        if args.get("mode") == "map":
            return args["spec"]["x"]
    chart = next(c for c in at.get("plotly_chart") if c.proto.id and chart_key in c.proto.id)
    return json.loads(chart.proto.spec)["data"][trace]["x"]


def restore_table(at: AppTest, model_key: str):
    """The Denoise page's score table for that model alone (no classic methods: quicker)."""
    at.switch_page("pages/restore.py").run()
    at.multiselect(key="restore_models").set_value([model_key]).run()
    at.multiselect(key="restore_classic").set_value([]).run()
    assert not at.exception
    return at.table[0].value


def test_uploads_sharing_a_file_name_never_share_results():
    digits = load_dataset("mnist-5k")
    x = (digits.x_test[:150, 0].numpy() * 255).round().astype(np.uint8)
    y = digits.y_test[:150].numpy()
    first = upload(run_app(), "train.npz", npz(x, y))
    second = upload(run_app(), "train.npz", npz(255 - x, y))  # another file of the same name: inverted digits

    tables, sliders, maps = [], [], []
    for at in (first, second):
        tables.append(anomaly_table(at))
        assert "on **train.npz**" in texts(at)
        sliders.append(traverse_sliders(at))
        maps.append(map_points(at, "pages/latent.py", "scatter"))
    # The pretrained ae rebuilds digits well and their negatives badly: each session sees its own data's errors.
    assert tables[1].loc["test", "median error"] > 5 * tables[0].loc["test", "median error"]
    assert sliders[0] != sliders[1]  # each dimension's variance over that session's codes
    assert maps[0] != maps[1]  # the PCA map of that session's codes


def train_and_wait(at: AppTest, message: str, overwrite: bool = False, **knobs) -> AppTest:
    """Train a small ae on the Train page (ticking "Replace the model of that name" if asked) and wait for message."""
    at.switch_page("pages/train.py").run()
    set_knobs(at, "ae", **{"n_train": 200, "epochs": 1, "latent_dim": 2, "hidden": "64", **knobs})
    if overwrite:
        at.checkbox(key="knob_overwrite").check().run()
    at.button(key="start_training").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    job_id = at.session_state["train_job"]

    def ended(a: AppTest) -> bool:
        snap = job_manager().snapshot(job_id, a.session_state["session_id"])
        return snap is not None and not snap.active and message in texts(a)

    return rerun_until(at, ended, timeout=120)


def test_a_replaced_library_model_never_shows_the_old_weights_results():
    at = train_and_wait(run_app(), "saved in your library as **mine**", name="mine", seed=1)
    before = (anomaly_table(at), traverse_sliders(at), map_points(at, "pages/interpolate.py", "interpolate_map"),
              restore_table(at, "library/mine"))

    at = train_and_wait(at, "saved in your library as **mine**", overwrite=True, name="mine", seed=2)
    assert at.session_state["model_key"] == "library/mine"
    after = (anomaly_table(at), traverse_sliders(at), map_points(at, "pages/interpolate.py", "interpolate_map"),
             restore_table(at, "library/mine"))
    assert not np.allclose(before[0]["median error"].to_numpy(), after[0]["median error"].to_numpy())  # Anomalies
    assert before[1] != after[1]  # Traverse: the sliders' variances and ranges
    assert before[2] != after[2]  # Interpolate: the map of the test codes under the path
    assert before[3].loc["mine", "PSNR (dB)"] != after[3].loc["mine", "PSNR (dB)"]  # Denoise: the score table


def card_pictures(at: AppTest, media: dict[str, bytes]) -> dict[str, bytes]:
    """The home page's card pictures, by caption, as the browser receives them."""
    at.switch_page("pages/home.py").run()
    assert not at.exception
    return {image.caption: media[image.url.rsplit("/", 1)[-1].split(".")[0]]
            for element in at.get("image") for image in element.proto.imgs if image.caption}


def test_two_sessions_unsaved_models_of_one_name_have_their_own_home_cards(tmp_path, monkeypatch, media):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("the library path is a file, so saving fails and each model stays in its session")
    monkeypatch.setenv("AELAB_HOME", str(blocked))
    pictures = []
    for seed in (1, 2):
        at = train_and_wait(run_app(), "kept in this session as **same**", name="same", seed=seed)
        assert at.session_state["model_key"] == "session/same"
        pictures.append(card_pictures(at, media))
    captions = [c for c in pictures[0] if "typical" in c or "box over each digit" in c or "swept" in c
                or "pixel blend" in c]
    assert len(captions) == 4, list(pictures[0])
    for caption in captions:
        assert pictures[0][caption] != pictures[1][caption], caption
