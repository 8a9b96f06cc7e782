"""AppTest of the Playground: open it, train on the spiral and see the vector field, pause and go on, step one epoch,
draw points (too few, all on one spot, then enough), and the toy sets kept out of the image pages' dataset picker."""
from __future__ import annotations

import json
import time

import pytest

from aelab.data.toy import TOY_SETS
from tests.apptest_helpers import rerun_until, run_app, texts
from ui.playground.drawing import SIDE

PAGE = "pages/playground.py"


@pytest.fixture(autouse=True)
def private_library(tmp_path, monkeypatch):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))


def chart_titles(at) -> list[str]:
    return [str(json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "")) for c in at.get("plotly_chart")]


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_the_page_opens_on_the_spiral_and_toy_sets_stay_out_of_the_dataset_picker():
    at = run_app(PAGE, timeout=120)
    assert at.selectbox(key="pg_set").value == "spiral"
    assert any("spiral: 1000 points" in title for title in chart_titles(at))
    sidebar_sets = set(at.selectbox(key="dataset").options)
    assert not sidebar_sets & set(TOY_SETS) and not any("Spiral" in option for option in sidebar_sets)


def test_train_on_the_spiral_then_see_the_vector_field():
    at = run_app(PAGE, timeout=120)
    at.number_input(key="pg_epochs").set_value(15).run()
    at.button(key="pg_train").click().run()
    no_exception(at)
    at = rerun_until(at, lambda a: a.session_state["playground"].run.finished, timeout=180)
    time.sleep(0.3)  # the job's thread returns just after its last epoch
    at.run()
    no_exception(at)
    assert at.session_state["pg_view"] == "field"  # a denoising AE opens on its field
    assert any(title == "Vector field r(x) - x, epoch 15" for title in chart_titles(at)), chart_titles(at)
    assert "epoch 15/15 (done" in texts(at) or any("epoch 15/15 (done" in str(p.proto.text) for p in at.get("progress"))
    at.toggle(key="pg_iterate").set_value(True).run()
    no_exception(at)
    assert "after one step" in texts(at)
    for view in ("recon", "manifold", "contraction"):
        at.segmented_control(key="pg_view").set_value(view).run()
        no_exception(at)


def test_pause_keeps_the_model_and_play_goes_on_from_there():
    at = run_app(PAGE, timeout=120)
    at.number_input(key="pg_epochs").set_value(2000).run()
    at.button(key="pg_train").click().run()
    at = rerun_until(at, lambda a: a.session_state["playground"].run.epoch >= 2, timeout=120)
    at.button(key="pg_pause").click().run()
    run = at.session_state["playground"].run
    at = rerun_until(at, lambda a: not a.button(key="pg_play").disabled, timeout=60)
    paused_at = run.epoch
    assert 2 <= paused_at < 2000
    time.sleep(0.5)
    assert run.epoch == paused_at  # paused: no more epochs
    at.button(key="pg_play").click().run()
    at = rerun_until(at, lambda a: a.session_state["playground"].run.epoch > paused_at + 1, timeout=120)
    assert at.session_state["playground"].run is run  # the same model went on
    at.button(key="pg_pause").click().run()
    no_exception(at)


def test_step_trains_exactly_one_epoch_at_a_time():
    at = run_app(PAGE, timeout=120)
    at.selectbox(key="pg_variant").set_value("vae_2d").run()
    at.button(key="pg_step").click().run()
    no_exception(at)
    run = at.session_state["playground"].run
    assert run.epoch == 1 and run.variant == "vae_2d"
    at.button(key="pg_step").click().run()
    assert at.session_state["playground"].run is run and run.epoch == 2
    run.step_epochs(run.total_epochs)  # as if Train had run to the end
    at.button(key="pg_step").click().run()
    assert at.session_state["playground"].run is run and run.epoch == run.total_epochs + 1  # one more epoch
    at.segmented_control(key="pg_view").set_value("vae").run()
    no_exception(at)
    assert "q(z|x): 2-sigma ellipses, code space" in chart_titles(at)


def click(at, x: float, y: float, when: int):
    at.session_state["pg_draw"] = {"x": x, "y": y, "unix_time": when, "width": SIDE, "height": SIDE}
    return at.run()


def test_drawn_points_too_few_then_on_one_spot_then_enough():
    at = run_app(PAGE, timeout=120)
    at.selectbox(key="pg_set").set_value("drawn").run()
    no_exception(at)
    for i in range(3):
        click(at, 50 + 20 * i, 200, i)
    assert len(at.session_state["views"]["playground"].view.points) == 3
    assert "Draw at least 10 points" in texts(at) and "3 points drawn" in texts(at)
    at.button(key="pg_train").click().run()  # refused, with the same message; nothing breaks
    no_exception(at)
    assert "playground" not in at.session_state or at.session_state["playground"].run is None
    at.button(key="pg_clear").click().run()
    for i in range(12):
        click(at, 100, 100, 10 + i)
    assert "one spot" in texts(at)
    at.button(key="pg_clear").click().run()
    for i in range(14):
        click(at, 30 + 20 * i, 180 + 60 * ((i % 4) - 1.5), 100 + i)
    no_exception(at)
    assert "14 points drawn" in texts(at) and "at least 10" not in texts(at)
    at.button(key="pg_undo").click().run()
    assert len(at.session_state["views"]["playground"].view.points) == 13
    at.number_input(key="pg_epochs").set_value(3).run()
    at.button(key="pg_train").click().run()
    at = rerun_until(at, lambda a: a.session_state["playground"].run.finished, timeout=120)
    assert at.session_state["playground"].run.data.name == "drawn"


def test_a_click_on_the_plane_shown_narrower_than_its_picture_lands_where_it_was_clicked():
    """At 1280 px with the sidebar open the plane is shown ~300 px wide: a click is read in the pixels shown."""
    at = run_app(PAGE, timeout=120)
    at.selectbox(key="pg_set").set_value("drawn").run()
    at.session_state["pg_draw"] = {"x": 264, "y": 1, "unix_time": 1, "width": 265, "height": 265}
    at.run()
    no_exception(at)
    [(x, y)] = at.session_state["views"]["playground"].view.points
    assert x == pytest.approx(1.98, abs=0.01) and y == pytest.approx(1.98, abs=0.01)  # the top right corner
    assert "sidebar's dataset and model" in texts(at)
