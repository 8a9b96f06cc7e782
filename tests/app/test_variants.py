"""AppTest of the VQ-VAE and conditional VAE views: the Generate page's Codebook and Conditional VAE sections, the
sidebar's class picker for a conditional model, Traverse's one line for a VQ-VAE, and the Train page's refusals."""
from __future__ import annotations

import pytest

from tests.apptest_helpers import run_app, texts


@pytest.fixture(autouse=True)
def private_library(tmp_path, monkeypatch):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "library"))


def test_the_codebook_section_shows_usage_trackers_codes_and_an_index_grid():
    at = run_app("pages/generate.py")
    page = texts(at)
    assert "Codebook (VQ-VAE)" in page and "96 bits per image" in page and "no N(0, I) prior" in page
    assert "Perplexity" in page and "codes used" in page
    charts = {chart.key for chart in at.get("plotly_chart") if hasattr(chart, "key")} | {
        chart.proto.id for chart in at.get("plotly_chart")}
    assert any("codebook_usage" in str(c) for c in charts) and any("codebook_trackers" in str(c) for c in charts)
    grid = at.dataframe[0].value
    assert grid.shape == (4, 4) and grid.to_numpy().min() >= 0 and grid.to_numpy().max() < 64
    at.selectbox(key="codebook_pick_label").set_value(7).run()
    assert not at.exception and not at.dataframe[0].value.equals(grid)


def _captions(at) -> str:
    return "\n".join(image.caption for element in at.get("image") for image in element.proto.imgs)


def test_the_conditional_section_draws_the_class_grid_and_style_transfer():
    at = run_app("pages/generate.py")
    assert "Rows, top to bottom: 0, 1, 2" in _captions(at)
    at.selectbox(key="cvae_style_label").set_value(3).run()
    assert not at.exception and "(3), then its code decoded as each class" in _captions(at)


def test_a_conditional_model_gets_the_sidebars_class_on_every_page():
    at = run_app("pages/traverse.py", model_key="pretrained/cvae")
    picker = at.sidebar.selectbox(key="condition_label")
    picker.set_value(5).run()
    assert not at.exception
    for page in ("pages/interpolate.py", "pages/restore.py", "pages/anomalies.py", "pages/latent.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert at.sidebar.selectbox(key="condition_label").value == 5


def test_traverse_says_why_a_vq_vae_has_no_sliders():
    at = run_app("pages/traverse.py", model_key="pretrained/vq_vae")
    assert "is a VQ-VAE" in texts(at) and "no slider to move along" in texts(at)


@pytest.mark.parametrize("variant, knobs, message", [
    ("vq_vae", {"codebook_size": "0"}, "Codebook size K must be a whole number from 2 to 1024, got '0'"),
    ("vq_vae", {"n_train": "20"}, "The codebook has 64 codes but there are only 20 training images"),
])
def test_bad_variant_input_is_one_message_and_starts_nothing(variant, knobs, message):
    at = run_app("pages/train.py")
    at.selectbox(key="train_variant").set_value(variant).run()
    for field, value in knobs.items():
        at.text_input(key=f"knob_{field}").set_value(value).run()
    assert not at.exception and len(at.error) == 1 and message in at.error[0].value
    assert at.button(key="start_training").disabled


def test_a_conditional_model_on_unlabelled_data_is_refused():
    import torch

    from aelab.data.sources import Dataset

    name = "upload:unlabelled.npz"
    dataset = Dataset(name, torch.rand(64, 1, 12, 12), torch.full((64,), -1), torch.rand(16, 1, 12, 12),
                      torch.full((16,), -1), ())
    at = run_app("pages/train.py", uploads={name: dataset}, dataset=name)
    at.selectbox(key="train_variant").set_value("cvae").run()
    assert not at.exception and len(at.error) == 1
    assert "needs a class label for every training image; this data has 64 without one" in at.error[0].value
    assert at.button(key="start_training").disabled


@pytest.mark.parametrize("variant, knobs", [("vq_vae", {"codebook_size": "16"}), ("cvae", {"latent_dim": "2"})])
def test_the_variants_train_on_the_train_page(variant, knobs):
    from aelab.runtime.jobs import JobManager  # noqa: F401 (the page's manager runs the job in this process)
    from tests.apptest_helpers import rerun_until
    from ui.train.lifecycle import job_manager

    at = run_app("pages/train.py")
    at.selectbox(key="train_variant").set_value(variant).run()
    for field, value in {"n_train": "200", "epochs": "2", "hidden": "32", **knobs}.items():
        at.text_input(key=f"knob_{field}").set_value(value).run()
    assert not at.error, [e.value for e in at.error]
    at.button(key="start_training").click().run()
    job_id = at.session_state["train_job"]
    rerun_until(at, lambda a: not job_manager().snapshot(job_id, a.session_state["session_id"]).active, 120)
    snapshot = job_manager().snapshot(job_id, at.session_state["session_id"])
    assert snapshot.status == "done", snapshot.error
    history = snapshot.result.history
    assert len(history) == 2 and ("perplexity" in history[-1]["val"]) == (variant == "vq_vae")
