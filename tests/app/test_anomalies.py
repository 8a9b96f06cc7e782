"""AppTest for the Anomalies page: choosing OOD sets changes the histogram and the AUC table; the threshold, the
most/least typical images, another model, and a dataset without a model."""
from __future__ import annotations

import json

import pytest

from aelab.analysis.anomaly import OTHER_PREFIX, SYNTHETIC_OOD
from tests.apptest_helpers import run_app, texts, unmodelled_dataset

PAGE = "pages/anomalies.py"
SETS = "anomaly_sets"  # the OOD sets chosen (the view keeps those on offer for the dataset shown)


@pytest.fixture(autouse=True)
def private_home(monkeypatch, tmp_path):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path))


def _histogram_traces(at) -> list[str]:
    chart = next(c for c in at.get("plotly_chart") if "histogram" in c.proto.spec)
    return [trace["name"] for trace in json.loads(chart.proto.spec)["data"]]


def test_every_ood_set_gets_a_histogram_and_an_auc_and_choosing_one_narrows_both():
    at = run_app(PAGE)
    table = at.table[0].value
    expected = ["test", *SYNTHETIC_OOD, OTHER_PREFIX + "digits", OTHER_PREFIX + "shapes"]  # the other bundled sources
    assert list(table.index) == expected
    assert (table.loc[list(SYNTHETIC_OOD), "ROC AUC"] > 0.99).all()
    assert _histogram_traces(at) == ["test split (in distribution)", *expected[1:]]
    at.multiselect(key=SETS).set_value(["inverted digits"]).run()
    assert not at.exception
    assert list(at.table[0].value.index) == ["test", "inverted digits"]
    assert _histogram_traces(at) == ["test split (in distribution)", "inverted digits"]


def test_threshold_flags_the_chosen_share_of_test_images_and_the_log_axis_toggles():
    at = run_app(PAGE, **{SETS: ["pure noise"]})
    at.slider(key="anomaly_percentile").set_value(90.0).run()
    table = at.table[0].value
    assert table.loc["test", "flagged"] == pytest.approx(0.10, abs=0.01)
    assert table.loc["pure noise", "flagged"] == 1.0
    at.toggle(key="anomaly_log").set_value(False).run()
    assert not at.exception and _histogram_traces(at)


def test_most_and_least_typical_images_are_shown_with_their_errors():
    at = run_app(PAGE, **{SETS: ["pure noise"]})
    at.slider(key="anomaly_k").set_value(5).run()
    page = texts(at)
    least = page.split("Smallest error")[1].split("(errors ")[1].split(")")[0]
    most = page.split("Largest error")[1].split("(errors ")[1].split(")")[0]
    least, most = [float(v) for v in least.split(", ")], [float(v) for v in most.split(", ")]
    assert len(least) == len(most) == 5
    assert least == sorted(least) and most == sorted(most, reverse=True) and max(least) < min(most)


def test_another_model_gives_another_answer_for_the_other_dataset():
    ae = run_app(PAGE, **{SETS: [OTHER_PREFIX + "digits"]})
    pca = run_app(PAGE, **{SETS: [OTHER_PREFIX + "digits"]}, model_key="pretrained/pca")
    assert not pca.exception
    auc_ae = ae.table[0].value.loc[OTHER_PREFIX + "digits", "ROC AUC"]
    auc_pca = pca.table[0].value.loc[OTHER_PREFIX + "digits", "ROC AUC"]
    assert auc_ae > 0.55 and auc_pca < 0.3  # PCA rebuilds the smooth upscaled digits better than MNIST's own


def test_no_set_chosen_and_no_model_for_the_dataset_are_explained():
    at = run_app(PAGE, **{SETS: []})
    assert "Choose at least one" in texts(at) and not at.table
    at = run_app(PAGE, **unmodelled_dataset())  # no model for 12x12 images
    assert not at.exception and "No model fits this dataset" in texts(at)
