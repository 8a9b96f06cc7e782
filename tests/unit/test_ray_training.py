"""A training on Ray (aelab.runtime.executors.RayExecutor): a local Ray runtime started in this process with one CPU
runs a real small training in an actor, whose reports reach the job as it goes; a cancel stops it; the model comes
back to this process and is saved in the library here."""
from __future__ import annotations

import time

import pytest
import torch

from aelab.library.store import list_models, load_model
from aelab.runtime.executors import RayExecutor
from aelab.runtime.jobs import CANCELLED, DONE, ERROR, JobManager
from tests.unit.test_executors import raise_training_error, request_for, wait_for

ray = pytest.importorskip("ray", reason="ray is not installed (the cluster extra: pip install .[cluster])")


@pytest.fixture(scope="module")
def executor():
    """One local Ray runtime for the module (a few seconds to start), with a single CPU: one actor at a time."""
    ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False)  # never a cluster found
    executor = RayExecutor(threads=1)
    yield executor
    executor.shutdown()
    ray.shutdown()


def test_a_training_on_ray_reports_progress_and_its_model_is_saved_here(executor, mnist5k, tmp_path):
    from aelab.train.remote import training_work

    manager = JobManager(max_running=1)
    job = manager.submit("alice", "on ray", training_work(request_for(mnist5k, tmp_path, "from-ray"), executor))
    assert manager.wait(job, timeout=180) == DONE
    snap = manager.snapshot(job, "alice")
    assert [h["epoch"] for h in snap.state["history"]] == [1, 2]
    assert len(snap.state["preview_frames"]) == len(snap.state["latent_frames"]) == 3
    assert snap.state["preview_frames"][-1].shape == (4, 28, 28)
    outcome = snap.result
    assert isinstance(outcome.model, torch.nn.Module) and not outcome.cancelled
    assert [m.name for m in list_models(tmp_path, tmp_path / "none")] == ["from-ray"]
    saved = load_model(outcome.saved_path).model.state_dict()
    assert all(torch.equal(saved[k], v) for k, v in outcome.model.state_dict().items())


def test_a_training_on_ray_can_be_cancelled(executor, mnist5k, tmp_path):
    from aelab.train.remote import training_work

    manager = JobManager(max_running=1)
    job = manager.submit("alice", "long", training_work(request_for(mnist5k, tmp_path, "cut", epochs=500), executor))
    wait_for(lambda: len(manager.snapshot(job, "alice").state.get("history") or []) >= 1, timeout=180)
    asked = time.time()
    manager.cancel(job, "alice")
    assert manager.wait(job, timeout=60) == CANCELLED
    outcome = manager.snapshot(job, "alice").result
    assert outcome.cancelled and 1 <= len(outcome.history) < 500 and load_model(outcome.saved_path).name == "cut"
    assert time.time() - asked < 10.0


def test_an_error_on_ray_is_the_jobs_error(executor):
    manager = JobManager(max_running=1)
    job = manager.submit("alice", "doomed", lambda ctx: executor.run(raise_training_error, None, ctx))
    assert manager.wait(job, timeout=120) == ERROR
    assert manager.snapshot(job, "alice").error == "The loss became NaN at epoch 1; lower the learning rate."
