"""The Train page with its default backend, a worker process: Start runs the training outside the test's process,
the page shows its progress, and the model is saved in the library by the server and selected."""
from __future__ import annotations

import pytest

from aelab.library.store import load_model
from aelab.runtime.executors import ProcessExecutor
from aelab.runtime.jobs import DONE
from aelab.train.remote import shutdown_executors
from tests.app.test_train import job_status, model_picker, start_training
from tests.apptest_helpers import map_args, rerun_until, run_app, texts
from ui.train.lifecycle import job_manager, training_executor


@pytest.fixture
def worker_backend(tmp_path, monkeypatch):
    monkeypatch.setenv("AELAB_TRAINING_BACKEND", "process")
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))
    monkeypatch.setenv("AELAB_WORKER_THREADS", "1")
    monkeypatch.setenv("AELAB_JOB_NICENESS", "0")  # its priority is tested in test_executors.py: here, speed
    yield tmp_path / "models"
    shutdown_executors()  # no idle worker left behind for the rest of the session


def test_the_train_page_trains_in_a_worker_process_and_saves_here(worker_backend):
    at = run_app("pages/train.py")
    assert isinstance(training_executor(), ProcessExecutor)  # opening the page started the warm worker
    job_id = start_training(at, name="from-worker")
    at = rerun_until(at, lambda a: "saved in your library as **from-worker**" in texts(a), timeout=120)
    assert not at.exception and job_status(at, job_id) == DONE
    assert model_picker(at).value == "library/from-worker"
    assert load_model(worker_backend / "from-worker").history[-1]["epoch"] == 2
    # the loss curves and the replay's map (its planes and epochs' decoders relayed from the worker)
    assert len(at.get("plotly_chart")) >= 1 and map_args(at)["spec"]["xlabel"] == "z1"
    state = job_manager().snapshot(job_id, at.session_state["session_id"]).state
    assert all(weights is not None for weights in state["replay_decoders"]) and len(state["latent_planes"]) == 3
