"""AppTest of the Train page: the form for every variant, a short training from start to selected model, cancel,
refused names and knobs, the queue, isolation between sessions, re-attaching a reloaded tab (from the tab's own
storage, never from a URL), and a failed save."""
from __future__ import annotations

import json
import re
import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

from aelab.library.store import load_model
from aelab.models.variants import VARIANTS
from aelab.runtime.jobs import CANCELLED, DONE, QUEUED, RUNNING
from tests.apptest_helpers import REPO, map_args, rerun_until, run_app, texts
from ui.common.selection import model_owner
from ui.components.tab_job import KEY as TAB_JOB_KEY
from ui.train.lifecycle import job_manager


@pytest.fixture(autouse=True)
def private_library(tmp_path, monkeypatch):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))
    return tmp_path / "models"


@pytest.fixture
def one_job_at_a_time(monkeypatch):
    """A server that runs one training at once (the job manager is per process: rebuild it around the test)."""
    monkeypatch.setenv("AELAB_MAX_JOBS", "1")
    job_manager.clear()
    yield
    job_manager.clear()


def set_knobs(at: AppTest, variant: str = "ae", **knobs) -> AppTest:
    at.selectbox(key="train_variant").set_value(variant).run()
    for field, value in knobs.items():
        widget = next(w for kind in ("number_input", "text_input", "selectbox")
                      for w in getattr(at, kind) if w.key == f"knob_{field}")
        typed = str(value) if widget.type == "text_input" else value  # numbers are typed as text, as a user would
        widget.set_value(typed).run()  # one at a time: a knob may enable the next (noise -> noise level)
    return at


def start_training(at: AppTest, variant: str = "ae", **knobs) -> str:
    """Fill in the form, press Start, and return the job id (kept by the tab, never in the URL)."""
    settings = {"n_train": 200, "epochs": 2, "latent_dim": 2, "hidden": "64", **knobs}
    set_knobs(at, variant, **settings)
    at.button(key="start_training").click().run()
    assert not at.exception, [e.value for e in at.exception]
    job_id = at.session_state["train_job"]
    assert not any(job_id in value for value in at.query_params.values()) and "job" not in at.query_params
    return job_id


def job_status(at: AppTest, job_id: str) -> str:
    return job_manager().snapshot(job_id, at.session_state["session_id"]).status


def latent_view(at: AppTest) -> dict:
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return next(c for c in charts if "Codes of" in str(c["layout"].get("title")))


def latent_view_title(at: AppTest) -> str:
    return latent_view(at)["layout"]["title"]["text"]


def model_picker(at: AppTest):
    return next(s for s in at.sidebar.selectbox if s.label == "Model")


def test_the_form_shows_each_variants_knobs_and_only_those():
    at = run_app("pages/train.py")
    for name, variant in VARIANTS.items():
        at.selectbox(key="train_variant").set_value(name).run()
        assert not at.exception, (name, [e.value for e in at.exception])
        keys = {w.key for kind in ("number_input", "text_input", "selectbox") for w in getattr(at, kind)}
        assert ("knob_beta" in keys) == variant.is_variational, name
        assert ("knob_hidden" in keys) == (variant.model.arch in ("mlp", "conv")), name
        assert ("knob_epochs" in keys) == (not variant.is_baseline), name
        for knob in ("knob_sparsity_weight", "knob_contractive_weight", "knob_noise", "knob_noise_level"):
            assert (knob in keys) == (not variant.is_baseline and not variant.is_variational), (name, knob)
        assert {"knob_latent_dim", "knob_seed", "knob_n_train"} <= keys
        # Defaults come from the variant: e.g. the denoising AE starts with its dropout noise.
        if "knob_noise" in keys:
            assert at.selectbox(key="knob_noise").value == variant.train.noise
        assert at.text_input(key="knob_latent_dim").value == str(variant.model.latent_dim)
        assert not at.error, name  # every variant's defaults are valid
    # Every knob explains itself in one line.
    assert all(w.help for w in at.text_input) and all(w.help for w in at.selectbox if w.key)


def test_a_short_training_completes_and_its_model_is_saved_and_selected(private_library):
    at = run_app("pages/train.py")
    job_id = start_training(at, name="class-demo")
    at = rerun_until(at, lambda a: "saved in your library as **class-demo**" in texts(a), timeout=90)
    assert not at.exception
    assert job_status(at, job_id) == DONE
    # The model is in the picker, selected, in the URL, and on disk.
    assert model_picker(at).value == "library/class-demo"
    assert at.session_state["model_key"] == "library/class-demo"
    assert at.query_params["model"] == "library/class-demo"
    assert load_model(private_library / "class-demo").history[-1]["epoch"] == 2
    assert len(at.get("plotly_chart")) >= 1  # the loss curves (the latent view is the replay's map)
    spec = map_args(at)["spec"]
    assert (spec["xlabel"], spec["ylabel"]) == ("z1", "z2")  # a 2-D code, 1-based
    assert re.search(r"Codes of [\d,]+ test images, after epoch 2", texts(at))
    # The replay slider goes back to the untrained model (epoch 0), decoded by the untrained decoder.
    slider = at.slider(key="replay_epoch")
    assert slider.value == 2 and slider.max == 2
    trained = map_args(at)["hash"]
    slider.set_value(0).run()
    assert "untrained model" in texts(at) and map_args(at)["hash"] != trained
    # Other pages now use it.
    at.switch_page("pages/home.py").run()
    assert "Model: **class-demo**" in texts(at)


@pytest.mark.parametrize("beta, alarm", [(1000, True), (1, False)])
def test_the_collapse_alarm_warns_when_a_vaes_code_goes_unused(beta, alarm):
    at = run_app("pages/train.py")
    # Measured with these settings: beta 1 has a test KL of 0.41 then 2.7 nats and all 4 units active; beta 1000
    # 0.005 nats and none active. (After only 2 steps, on 200 images, beta 1 was still at 0.09 nats: too early to
    # have learnt a code, and the alarm says so.)
    start_training(at, "vae", beta=beta, epochs=2, n_train=1000, latent_dim=4, name=f"vae-beta-{beta}")
    at = rerun_until(at, lambda a: f"saved in your library as **vae-beta-{beta}**" in texts(a), timeout=120)
    said = [w.value for w in at.warning if "Posterior collapse" in w.value]
    assert bool(said) == alarm, said
    assert not alarm or ("after epoch 2" in said[0] and "no latent units are active" in said[0])


def test_cancel_stops_the_training_and_keeps_the_model_trained_so_far():
    at = run_app("pages/train.py")
    job_id = start_training(at, name="stopped-early", epochs=400, n_train=1000)
    manager, viewer = job_manager(), at.session_state["session_id"]
    deadline = time.time() + 60
    while not manager.snapshot(job_id, viewer).state.get("history") and time.time() < deadline:
        time.sleep(0.1)
    at.run()
    assert job_status(at, job_id) == RUNNING and at.button(key="cancel_training")
    at.button(key="cancel_training").click().run()
    at = rerun_until(at, lambda a: "Cancelled after" in texts(a), timeout=60)
    assert job_status(at, job_id) == CANCELLED
    outcome = manager.snapshot(job_id, viewer).result
    assert outcome.cancelled and 1 <= len(outcome.history) < 400
    assert "saved in your library as **stopped-early**" in texts(at)
    assert model_picker(at).value == "library/stopped-early"


@pytest.mark.parametrize("knobs, message", [
    ({"name": "../../etc"}, "Invalid model name '../../etc'"),
    ({"name": ""}, "Invalid model name ''"),
])
def test_a_bad_name_gives_its_message_and_starts_nothing(knobs, message):
    at = run_app("pages/train.py")
    set_knobs(at, "ae", **knobs)
    at.button(key="start_training").click().run()
    assert not at.exception
    assert message in " ".join(e.value for e in at.error)
    assert "train_job" not in at.session_state
    assert job_manager().jobs_for(at.session_state["session_id"]) == []


@pytest.mark.parametrize("variant, knobs, message", [
    ("ae", {"lr": "NaN"}, "Learning rate must be a number above 0 and at most 10, got 'NaN'"),
    ("ae", {"lr": "0"}, "Learning rate must be a number above 0 and at most 10, got '0'"),
    ("ae", {"lr": "-1e-3"}, "Learning rate must be a number above 0"),
    ("ae", {"epochs": "1e9"}, "Epochs must be a whole number from 1 to 10000, got '1e9'"),
    ("ae", {"epochs": "0"}, "Epochs must be a whole number from 1 to 10000, got '0'"),
    ("ae", {"epochs": "2.5"}, "Epochs must be a whole number"),
    ("ae", {"batch_size": "0"}, "Batch size must be a whole number from 1 to 65536, got '0'"),
    ("ae", {"batch_size": "1e9"}, "Batch size must be a whole number from 1 to 65536"),
    ("ae", {"latent_dim": "-4"}, "Latent size must be a whole number from 1 to 4096, got '-4'"),
    ("ae", {"latent_dim": "0"}, "Latent size must be a whole number from 1 to 4096"),
    ("ae", {"latent_dim": "nan"}, "Latent size must be a whole number"),
    ("ae", {"hidden": "64, -1"}, "Hidden sizes must be whole numbers from 1 to 8192"),
    ("ae", {"hidden": "1e9"}, "Hidden sizes must be whole numbers from 1 to 8192"),
    ("ae", {"hidden": "256, lots"}, "Hidden sizes must be whole numbers"),
    ("ae", {"noise": "rows", "noise_level": 2.5}, "Noise level for Missing rows must be a whole number above 0"),
    ("ae", {"noise": "mixed", "noise_level": 0.0}, "Noise level for Mixed must be a number above 0 and at most 3"),
    ("ae", {"noise": "gaussian", "noise_level": "NaN"}, "Noise level for Gaussian noise must be a number above 0"),
    ("ae", {"noise": "gaussian", "noise_level": "1e9"}, "Noise level for Gaussian noise must be a number above 0"),
    ("ae", {"noise": "box", "noise_level": "-2"}, "Noise level for Box must be a whole number above 0 and at most 256"),
    ("ae", {"sparsity_weight": "-0.1"}, "L1 weight (sparsity) must be a number from 0 to 10000, got '-0.1'"),
    ("ae", {"contractive_weight": "inf"}, "Contractive weight must be a number from 0 to 10000"),
    ("vae", {"beta": "1e9"}, "beta (KL weight) must be a number from 0 to 10000, got '1e9'"),
    ("vae", {"beta": "NaN"}, "beta (KL weight) must be a number from 0 to 10000"),
    ("soft_kmeans", {"temperature": "0"}, "Temperature must be a number above 0 and at most 10000"),
    ("pca", {"seed": "-1"}, "Seed must be a whole number from 0 to"),
    ("ae", {"seed": "1e30"}, "Seed must be a whole number from 0 to"),
    ("ae", {"n_train": "1e9"}, "Training images must be a whole number from 10 to 4000, got '1e9'"),
    ("ae", {"n_train": "0"}, "Training images must be a whole number from 10 to 4000"),
])
def test_an_out_of_range_number_is_explained_at_once_and_starts_nothing(variant, knobs, message):
    """Typed text is checked against the configs' own ranges as soon as it is entered: one message, Start disabled,
    no job, and the page goes on working once the value is fixed."""
    at = run_app("pages/train.py")
    set_knobs(at, variant, **knobs)
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1 and message in at.error[0].value
    assert at.button(key="start_training").disabled  # AppTest, like a browser, cannot press it
    assert "train_job" not in at.session_state
    assert job_manager().jobs_for(at.session_state["session_id"]) == []
    field = next(iter(knobs.keys() - {"noise"}))
    at.text_input(key=f"knob_{field}").set_value(VALID_TEXT[field]).run()
    assert not at.error and not at.exception


VALID_TEXT = {"lr": "0.01", "epochs": "2", "batch_size": "64", "latent_dim": "2", "hidden": "64", "noise_level": "3",
              "sparsity_weight": "0.1", "contractive_weight": "0", "beta": "1", "temperature": "1", "seed": "7",
              "n_train": "200"}


def test_a_conv_model_too_deep_for_small_images_is_explained():
    at = run_app("pages/train.py")
    at.sidebar.selectbox[0].set_value("digits").run()  # 8x8 images
    set_knobs(at, "conv_ae", hidden="16, 32, 64, 128")
    assert at.button(key="start_training").disabled
    assert "shrink a (8, 8) image below one pixel" in " ".join(e.value for e in at.error)


def test_a_taken_name_is_refused_until_overwrite_is_ticked(private_library):
    at = run_app("pages/train.py")
    start_training(at, name="taken", epochs=1)
    at = rerun_until(at, lambda a: "saved in your library as **taken**" in texts(a), timeout=90)
    set_knobs(at, name="taken")
    at.button(key="start_training").click().run()
    assert "A model named 'taken' is already in your library" in " ".join(e.value for e in at.error)
    at.checkbox(key="knob_overwrite").check().run()
    at.button(key="start_training").click().run()
    assert not at.error
    at = rerun_until(at, lambda a: job_status(a, a.session_state["train_job"]) == DONE, timeout=90)


def test_beyond_the_limit_a_training_waits_and_shows_its_queue_position(one_job_at_a_time):
    first, second = run_app("pages/train.py"), run_app("pages/train.py")
    first_job = start_training(first, name="first", epochs=400, n_train=1000)
    second_job = start_training(second, name="second")
    assert job_status(second, second_job) == QUEUED
    assert "waiting in the queue, position **1**" in texts(second)
    # Sessions are isolated: neither sees the other's job, even by its id.
    assert [s.id for s in job_manager().jobs_for(second.session_state["session_id"])] == [second_job]
    assert job_manager().snapshot(first_job, second.session_state["session_id"]) is None
    first.button(key="cancel_training").click().run()
    second = rerun_until(second, lambda a: job_status(a, second_job) == DONE, timeout=90)
    assert model_picker(second).value == "library/second"


def test_an_unsaved_model_stays_in_its_own_session_only(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("the library path is a file, so saving fails")
    monkeypatch.setenv("AELAB_HOME", str(blocked))
    mine, other = run_app("pages/train.py"), run_app("pages/train.py")
    start_training(mine, name="unsaved", epochs=1)
    mine = rerun_until(mine, lambda a: "could not be saved" in texts(a), timeout=90)
    assert "kept in this session as **unsaved**" in texts(mine)
    assert model_picker(mine).value == "session/unsaved"
    other.run()
    assert not any("unsaved" in label for label in model_picker(other).options)


def test_a_reloaded_tab_reattaches_to_the_job_the_tab_kept():
    at = run_app("pages/train.py")
    job_id = start_training(at, name="reattached", epochs=1)
    reloaded = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    reloaded.query_params.update({"data": "mnist-5k"})
    reloaded.switch_page("pages/train.py").run()
    assert "train_job" not in reloaded.session_state
    reloaded.session_state[TAB_JOB_KEY] = {"job": job_id}  # what the tab reports from its sessionStorage
    reloaded.run()
    assert reloaded.session_state["train_job"] == job_id and "job" not in reloaded.query_params
    reloaded = rerun_until(reloaded, lambda a: "saved in your library as **reattached**" in texts(a), timeout=90)
    assert model_picker(reloaded).value == "library/reattached"


def test_a_link_with_another_sessions_running_job_does_not_attach_it():
    """A job id is the capability to watch and cancel a training: a link that carries one (an old link, or a
    crafted one) is dropped, never attached, and no link of this app carries a job."""
    gate = threading.Event()
    theirs = job_manager().submit("another-session", "their training", lambda ctx: gate.wait(30),
                                  group=model_owner("library"))
    try:
        assert job_manager().snapshot(theirs, "another-session").status in (QUEUED, RUNNING)
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
        at.query_params.update({"data": "mnist-5k", "job": theirs})
        at.switch_page("pages/train.py").run()
        assert not at.exception, [e.value for e in at.exception]
        assert "train_job" not in at.session_state and job_manager().snapshot(theirs, at.session_state[
            "session_id"]) is None
        assert "job" not in at.query_params and not any(theirs in v for v in at.query_params.values())
        assert theirs not in texts(at) and "their training" not in texts(at)
        at.switch_page("pages/latent.py").run()  # the sidebar rewrites the link on every page
        assert "job" not in at.query_params
    finally:
        gate.set()
        job_manager().wait(theirs, timeout=10)


def test_a_tiny_upload_can_be_trained_on():
    """Six 8x8 images (five for training): the form adapts its limits and a small model trains on them."""
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, x=(np.random.default_rng(0).random((6, 8, 8)) * 255).astype(np.uint8))
    at = run_app("pages/train.py")
    at.sidebar.file_uploader[0].set_value(("six.npz", buffer.getvalue(), "application/octet-stream")).run()
    assert not at.exception and at.text_input(key="knob_n_train").value == "5"
    start_training(at, name="tiny-upload", n_train=5, epochs=2, hidden="8", latent_dim=3)
    at = rerun_until(at, lambda a: "saved in your library as **tiny-upload**" in texts(a), timeout=90)
    assert model_picker(at).value == "library/tiny-upload"


def test_a_training_that_fails_shows_why_and_the_page_keeps_working():
    from aelab.errors import TrainingError

    def diverges(ctx):
        ctx.report(progress=None, history=[])
        raise TrainingError("The loss became nan at epoch 1, step 3: try a 10x smaller learning rate.")

    at = run_app("pages/train.py")
    job_id = job_manager().submit(at.session_state["session_id"], "doomed (ae)", diverges)
    job_manager().wait(job_id, timeout=10)
    at.session_state["train_job"] = job_id
    at.run()
    assert not at.exception
    assert "Training doomed (ae) stopped: The loss became nan" in " ".join(e.value for e in at.error)
    assert any("stopped with an error" in t.value for t in at.toast)
    assert model_picker(at).value == "pretrained/ae"  # nothing was selected
    start_training(at, name="after-failure", epochs=1)  # and a new training can start
