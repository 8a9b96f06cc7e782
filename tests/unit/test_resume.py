"""One more epoch: a finished training job's portable state (TrainingOutcome.resume), carried as a worker process or
Ray would carry it (pickled), trains on to the same weights as one longer run with the same seed."""
from __future__ import annotations

import dataclasses
import pickle
import time

import pytest
import torch

from aelab.library.store import load_model
from aelab.runtime.executors import ThreadExecutor
from aelab.runtime.jobs import DONE, JobManager
from aelab.train.job import TrainingOutcome
from aelab.train.remote import training_work
from tests.unit.test_jobs import _request


def _run(request) -> tuple[TrainingOutcome, dict]:
    manager = JobManager(max_running=1)
    job = manager.submit("alice", request.save_name, training_work(request, ThreadExecutor()))
    assert manager.wait(job, timeout=120) == DONE, manager.snapshot(job, "alice").error
    snap = manager.snapshot(job, "alice")
    return snap.result, snap.state


def _max_difference(a: torch.nn.Module, b: torch.nn.Module) -> float:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    return max((sa[k] - sb[k]).abs().max().item() for k in sa)


@pytest.mark.parametrize("variant, train", [("ae", {"noise": "gaussian", "noise_level": 0.3}), ("vae", {})])
def test_two_epochs_and_one_step_equal_three_epochs_in_one_run(mnist5k, tmp_path, single_thread, variant, train):
    """A denoising AE (noise drawn from the device's random stream) and a VAE (z sampled from it): both streams, the
    optimiser's moments and the data order must carry over."""
    whole, _ = _run(_request(mnist5k, tmp_path, name="whole", epochs=3, n=96, variant=variant, **train))
    first, first_state = _run(_request(mnist5k, tmp_path, name="stepped", epochs=2, n=96, variant=variant, **train))
    assert first.resume is not None and first.resume.epoch == 2
    resume = pickle.loads(pickle.dumps(first.resume))  # what crosses a process boundary
    step_request = dataclasses.replace(
        _request(mnist5k, tmp_path, name="stepped", epochs=3, n=96, variant=variant, **train),
        resume=resume, resume_frame=first_state["latent_frames"][-1], overwrite=True)
    stepped, state = _run(step_request)
    assert _max_difference(stepped.model, whole.model) <= 1e-6
    assert [r["epoch"] for r in stepped.history] == [1, 2, 3]  # exactly one epoch more
    assert stepped.history[:2] == first.history
    assert stepped.history[2]["train"] == pytest.approx(whole.history[2]["train"], rel=1e-5)
    assert state["history"] == stepped.history and len(state["latent_frames"]) == 1  # the new epoch's frame only
    assert stepped.resume.epoch == 3  # and it can step again
    # saved like the original, over it: the library's model is the stepped one
    saved = load_model(tmp_path / "stepped")
    assert saved.history[-1]["epoch"] == 3 and saved.train_config.epochs == 3
    assert _max_difference(saved.model, whole.model) <= 1e-6


def test_a_cancelled_or_closed_form_run_offers_no_resume(mnist5k, tmp_path, single_thread):
    manager = JobManager(max_running=1)
    request = _request(mnist5k, tmp_path, name="cut", epochs=50, n=256)
    job = manager.submit("alice", "cut", training_work(request, ThreadExecutor()))
    while not manager.snapshot(job, "alice").state.get("history"):
        time.sleep(0.01)
    manager.cancel(job, "alice")
    manager.wait(job, timeout=60)
    assert manager.snapshot(job, "alice").result.resume is None  # stopped inside an epoch: stepping would not equal
    pca, _ = _run(_request(mnist5k, tmp_path, name="pca", variant="pca", epochs=1, n=96))
    assert pca.resume is None
