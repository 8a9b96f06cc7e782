"""AppTest for the Known factors page: the way in from a dataset without factors, the heatmap and the labelled
traversals, the shipped scores without computing, scoring another model and adding a beta point in the background."""
from __future__ import annotations

import json

import pytest

from aelab.analysis import factor_scores
from tests.apptest_helpers import rerun_until, run_app, texts
from tests.patches import quick_factor_scores

PAGE = "pages/factors.py"
SHOWCASE = "pretrained/shapes-beta-vae-16"


@pytest.fixture(autouse=True)
def private_home(monkeypatch, tmp_path):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))




def chart(at, key: str) -> dict:
    """The figure of the plotly chart whose widget key is key."""
    return json.loads(next(c for c in at.get("plotly_chart") if key in c.proto.id).proto.spec)


def test_a_dataset_without_factors_shows_the_shapes_on_this_page_only_and_can_make_them_everyones():
    at = run_app(PAGE)
    said = texts(at)
    assert "mnist-5k has no known factors" in said and "the other pages keep mnist-5k" in said
    assert chart(at, "factors_heatmap")["data"][0]["type"] == "heatmap"  # the shapes' heatmap, at once
    assert "MIG of shapes-beta-vae-16 = **" in said
    assert "data" not in at.query_params and at.session_state["model_key"] != SHOWCASE  # the sidebar's own
    at.button(key="factors_use_shapes").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["dataset"] == "shapes" and at.session_state["model_key"] == SHOWCASE
    assert at.query_params["data"] == "shapes" and "the other pages keep" not in texts(at)


def test_the_beta_sweeps_log_axis_is_ticked_at_the_betas():
    at = run_app(PAGE, dataset="shapes", model_key=SHOWCASE)
    axis = chart(at, "factors_sweep_chart")["layout"]["xaxis"]
    assert axis["type"] == "log" and axis["ticktext"] == ["1", "4", "16"] and axis["tickvals"] == [1, 4, 16]


def test_a_shipped_model_shows_its_information_traversals_and_every_shipped_score_without_computing():
    at = run_app(PAGE, dataset="shapes", model_key=SHOWCASE)
    heatmap = chart(at, "factors_heatmap")["data"][0]
    assert heatmap["type"] == "heatmap" and heatmap["y"] == ["shape", "scale", "rotation", "x", "y"]
    assert len(heatmap["x"]) == 10 and all(0 <= v <= 1 for row in heatmap["z"] for v in row)
    shown = texts(at)
    assert "MIG of shapes-beta-vae-16 = **" in shown
    rows = [m.value for m in at.markdown if str(m.value).startswith("**z")]
    assert len(rows) == 10 and any(": x (" in r or ": y (" in r for r in rows)  # position is always captured
    table = at.dataframe[0].value
    shipped = factor_scores.shipped_results("shapes")
    assert list(table["model"]) == [row["name"] for row in shipped] and len(table) >= 5
    assert list(table["MIG"]) == [row["mig"] for row in shipped]
    assert not [b for b in at.button if b.key == "lessons_button_factors_score"]  # nothing to compute
    sweep = chart(at, "factors_sweep_chart")
    assert {"shipped, seed 0", "shipped, seed 1"} <= {trace.get("name") for trace in sweep["data"]}


def test_another_model_is_scored_in_the_background(monkeypatch):
    quick_factor_scores(monkeypatch)
    at = run_app(PAGE, dataset="shapes", model_key="pretrained/ae")
    assert "ae was trained on mnist-5k, not on shapes" in texts(at)
    at.button(key="lessons_button_factors_score").click().run()
    rerun_until(at, lambda a: len(a.dataframe) and "ae (scored here)" in list(a.dataframe[0].value["model"]),
                timeout=240)
    row = at.dataframe[0].value.set_index("model").loc["ae (scored here)"]
    assert 0 <= row["MIG"] <= 1 and 0 <= row["DCI disentanglement"] <= 1 and 0 < row["DCI informativeness"] <= 1


def test_a_beta_point_is_trained_in_the_background_and_added_to_the_sweep():
    at = run_app(PAGE, dataset="shapes", model_key=SHOWCASE)
    at.number_input(key="factors_beta").set_value(2.0).run()
    at.number_input(key="factors_epochs").set_value(1).run()
    at.button(key="factors_add_point").click().run()
    assert not at.exception
    rerun_until(at, lambda a: any(t.get("name") == "added here" for t in chart(a, "factors_sweep_chart")["data"]),
                timeout=240)
    added = next(t for t in chart(at, "factors_sweep_chart")["data"] if t.get("name") == "added here")
    assert added["x"] == [2.0] and 0 <= added["y"][0] <= 1
