"""AppTest of the Train page's queue and stepping: a second Start while this session trains waits visibly, a third is
refused with its message; "One more epoch" adds exactly one epoch, equal to one run with one more epoch."""
from __future__ import annotations

import dataclasses

import pytest

from aelab.library.store import load_model
from aelab.runtime.executors import ThreadExecutor
from aelab.runtime.jobs import DONE, QUEUED, RUNNING, JobManager
from aelab.train.remote import training_work
from tests.app.test_train import job_status, model_picker, start_training
from tests.apptest_helpers import map_args, rerun_until, run_app, texts
from ui.train.lifecycle import job_manager


@pytest.fixture(autouse=True)
def private_library(tmp_path, monkeypatch):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))
    job_manager.clear()  # a fresh trainings lane: no job of another test holds its slot
    yield tmp_path / "models"
    job_manager().shutdown(5.0)
    job_manager.clear()


def test_a_second_start_waits_visibly_and_a_third_is_refused():
    at = run_app("pages/train.py")
    first = start_training(at, name="first", epochs=400, n_train=1000)
    viewer = at.session_state["session_id"]
    second = start_training(at, name="second")
    assert job_status(at, first) == RUNNING and job_status(at, second) == QUEUED
    assert "waiting in the queue, position **1**" in texts(at)
    assert "each session one at a time" in texts(at)
    # the reconstructions panel is not blank while it waits: the test images are shown
    captions = [image.caption for element in at.get("image") for image in element.proto.imgs]
    assert any("reconstructions appear when training starts" in caption for caption in captions), captions

    at.text_input(key="knob_name").set_value("third").run()
    at.button(key="start_training").click().run()
    assert not at.exception
    assert "Not started: you already have 1 running and 1 waiting" in " ".join(e.value for e in at.error)
    assert at.session_state["train_job"] == second  # the view stays on the queued job
    assert len(job_manager().jobs_for(viewer)) == 2
    for job in (second, first):
        job_manager().cancel(job, viewer)


def test_a_queued_job_is_polled_four_times_slower_than_a_running_one(monkeypatch):
    """A class's queued students cost the server little: the queued view polls every QUEUED_REFRESH_S with its
    status only (its pictures drawn once), the running view at REFRESH_S and PICTURES_REFRESH_S."""
    import streamlit

    from ui.train import view

    polled: list[tuple[str, float | None]] = []
    real = streamlit.fragment

    def recording(func=None, *, run_every=None):
        def wrap(function):
            polled.append((function.__name__, run_every))
            return real(function, run_every=run_every)
        return wrap if func is None else wrap(func)

    monkeypatch.setattr(streamlit, "fragment", recording)
    at = run_app("pages/train.py")
    first = start_training(at, name="first", epochs=400, n_train=1000)
    assert ("_live_status", view.REFRESH_S) in polled and ("_live_pictures", view.PICTURES_REFRESH_S) in polled
    viewer = at.session_state["session_id"]
    second = start_training(at, name="second")
    assert job_status(at, second) == QUEUED
    polled.clear()
    at.run()  # a run of the page showing the queued job
    assert polled == [("_queued_status", view.QUEUED_REFRESH_S)]
    assert view.QUEUED_REFRESH_S >= 4 * view.REFRESH_S
    for job in (second, first):
        job_manager().cancel(job, viewer)


def test_one_more_epoch_adds_exactly_one_epoch_equal_to_one_longer_run(private_library):
    at = run_app("pages/train.py")
    start_training(at, name="stepper", epochs=2)
    at = rerun_until(at, lambda a: "saved in your library as **stepper**" in texts(a), timeout=90)
    assert len(load_model(private_library / "stepper").history) == 2
    at.button(key="train_one_more_epoch").click().run()
    assert not at.exception, [e.value for e in at.exception]
    step_job = at.session_state["train_job"]
    at = rerun_until(at, lambda a: job_status(a, step_job) == DONE and "saved in your library" in texts(a),
                     timeout=90)
    assert not at.exception
    stepped = load_model(private_library / "stepper")
    assert [r["epoch"] for r in stepped.history] == [1, 2, 3]  # history length + 1
    assert model_picker(at).value == "library/stepper"
    assert at.slider(key="replay_epoch").max == 3  # the replay covers all three epochs and the untrained model
    # and its map decodes each of them with that epoch's decoder: the earlier run's kept ones came along
    state = job_manager().snapshot(step_job, at.session_state["session_id"]).state
    assert len(state["replay_decoders"]) == len(state["latent_planes"]) == len(state["latent_frames"]) == 4
    assert all(weights is not None for weights in state["replay_decoders"])
    assert map_args(at)["spec"]["xlabel"] == "z1"
    assert at.button(key="train_one_more_epoch")  # and it can step again

    # The same request trained for three epochs in one go, with the same seed, gives the same weights.
    kept = at.session_state["resumable"]
    config = dataclasses.replace(kept.request.train_config, epochs=3)
    one_run = dataclasses.replace(kept.request, train_config=config, resume=None, resume_frame=None, save_name=None)
    manager = JobManager(max_running=1)
    job = manager.submit("test", "one run", training_work(one_run, ThreadExecutor()))
    assert manager.wait(job, timeout=90) == DONE
    whole = manager.snapshot(job, "test").result.model.state_dict()
    weights = stepped.model.state_dict()
    assert max((weights[k] - whole[k]).abs().max().item() for k in whole) <= 1e-6
