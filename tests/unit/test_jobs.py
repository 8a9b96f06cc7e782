"""The background job manager (aelab.runtime.jobs) and the training job (aelab.train.job): queueing, cancel, errors,
isolation between viewers, and what a training job reports and keeps."""
from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from aelab.analysis.latent import encode_dataset
from aelab.errors import ModelStoreError, TrainingError
from aelab.library.store import load_model
from aelab.models.autoencoder import create_model
from aelab.models.variants import make_configs
from aelab.runtime.executors import ThreadExecutor
from aelab.runtime.jobs import CANCELLED, DONE, ERROR, QUEUED, RUNNING, JobManager
from aelab.train.evaluation import evaluate
from aelab.train.job import TrainingRequest
from aelab.train.remote import training_work


def _wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


class Gate:
    """A work function that reports it started, then waits for release() or a cancel request."""

    def __init__(self, result="finished"):
        self.started, self.release_event, self.result = threading.Event(), threading.Event(), result

    def __call__(self, ctx):
        self.started.set()
        while not self.release_event.is_set():
            if ctx.should_stop():
                return "stopped early"
            ctx.report(beat=time.time())
            time.sleep(0.005)
        return self.result

    def release(self):
        self.release_event.set()


def status(manager, job_id, viewer="alice"):
    return manager.snapshot(job_id, viewer).status


# ------------------------------------------------------------------------------------------------- job manager
def test_jobs_beyond_the_limit_wait_in_order_and_see_their_position():
    manager = JobManager(max_running=2)
    gates = [Gate() for _ in range(4)]
    ids = [manager.submit("alice", f"job {i}", gate) for i, gate in enumerate(gates)]
    _wait_for(lambda: gates[0].started.is_set() and gates[1].started.is_set())
    snaps = [manager.snapshot(i, "alice") for i in ids]
    assert [s.status for s in snaps] == [RUNNING, RUNNING, QUEUED, QUEUED]
    assert [s.queue_position for s in snaps] == [0, 0, 1, 2]
    assert not gates[2].started.is_set() and not gates[3].started.is_set()

    gates[0].release()  # one slot frees: the first in the queue starts, the other moves up
    _wait_for(lambda: gates[2].started.is_set())
    assert status(manager, ids[0]) == DONE
    assert manager.snapshot(ids[3], "alice").queue_position == 1
    assert status(manager, ids[3]) == QUEUED
    for gate in gates[1:]:
        gate.release()
    assert [manager.wait(i, timeout=20) for i in ids] == [DONE] * 4
    assert manager.snapshot(ids[3], "alice").result == "finished"


def test_cancel_a_running_job_stops_it_and_keeps_its_result():
    manager = JobManager(max_running=1)
    gate = Gate()
    job = manager.submit("alice", "long", gate)
    _wait_for(gate.started.is_set)
    assert manager.cancel(job, "alice")
    assert manager.wait(job, timeout=10) == CANCELLED
    snap = manager.snapshot(job, "alice")
    assert snap.result == "stopped early"  # what the work function returned when it stopped is kept
    assert snap.error is None and snap.finished is not None and not snap.active


def test_cancel_a_queued_job_never_starts_it_and_moves_the_queue_up():
    manager = JobManager(max_running=1)
    first, second, third = Gate(), Gate(), Gate()
    ids = [manager.submit("alice", name, g) for name, g in (("a", first), ("b", second), ("c", third))]
    _wait_for(first.started.is_set)
    assert manager.snapshot(ids[2], "alice").queue_position == 2
    assert manager.cancel(ids[1], "alice")
    assert status(manager, ids[1]) == CANCELLED
    assert manager.snapshot(ids[1], "alice").queue_position == 0
    assert manager.snapshot(ids[2], "alice").queue_position == 1
    first.release()
    _wait_for(third.started.is_set)
    third.release()
    assert manager.wait(ids[2], timeout=10) == DONE
    assert not second.started.is_set()  # the cancelled job's work never ran


def test_an_exception_inside_a_job_is_an_error_status_and_the_manager_keeps_working(caplog):
    manager = JobManager(max_running=1)

    def broken(ctx):
        ctx.report(step=1)
        raise ZeroDivisionError("division by zero in the work")

    def refused(ctx):
        raise TrainingError("The loss became nan at epoch 1.")

    bug, user_error = manager.submit("alice", "bug", broken), manager.submit("alice", "nan", refused)
    after = manager.submit("alice", "after", lambda ctx: 42)
    assert manager.wait(bug, timeout=10) == ERROR
    snap = manager.snapshot(bug, "alice")
    assert "ZeroDivisionError" in snap.error and "division by zero" in snap.error
    assert snap.state == {"step": 1} and snap.result is None
    assert manager.wait(user_error, timeout=10) == ERROR
    assert manager.snapshot(user_error, "alice").error == "The loss became nan at epoch 1."  # its message alone
    assert manager.wait(after, timeout=10) == DONE  # the slot was freed: no dead thread holds it
    assert manager.snapshot(after, "alice").result == 42
    # the bug's whole traceback goes to the log (not printed); a user-facing error is not logged as a bug
    logged = [r for r in caplog.records if r.name == "aelab.runtime.jobs"]
    assert [(r.levelname, r.exc_info[0]) for r in logged] == [("ERROR", ZeroDivisionError)]
    assert "bug" in logged[0].getMessage()


def test_two_sessions_do_not_see_or_cancel_each_others_jobs():
    manager = JobManager(max_running=2)
    gate = Gate()
    alice_job = manager.submit("alice", "alice's", gate)
    bob_job = manager.submit("bob", "bob's", lambda ctx: "bob's model")
    _wait_for(gate.started.is_set)
    assert [s.id for s in manager.jobs_for("alice")] == [alice_job]
    assert [s.id for s in manager.jobs_for("bob")] == [bob_job]
    assert manager.snapshot(alice_job, "bob") is None
    assert manager.cancel(alice_job, "bob") is False
    assert status(manager, alice_job) == RUNNING
    # The job id is the capability: a reloaded tab of alice's (a new session) attaches with it.
    assert manager.attach(alice_job, "alice-after-reload")
    assert manager.snapshot(alice_job, "alice-after-reload").title == "alice's"
    assert manager.attach("no-such-job", "alice") is False
    gate.release()
    manager.wait(alice_job, timeout=10)


def test_only_the_jobs_group_can_attach_to_it():
    """A job id alone is not enough: a reloaded tab attaches only within the group (browser) that started it."""
    manager = JobManager(max_running=1)
    job = manager.submit("alice", "alice's", lambda ctx: "model", group="browser-a")
    manager.wait(job, timeout=10)
    assert manager.attach(job, "mallory", group="browser-b") is False
    assert manager.attach(job, "mallory") is False
    assert manager.snapshot(job, "mallory") is None
    assert manager.attach(job, "alice-after-reload", group="browser-a")
    assert manager.snapshot(job, "alice-after-reload").result == "model"


def test_a_snapshot_is_a_copy_that_later_reports_do_not_change():
    manager = JobManager(max_running=1)
    release = threading.Event()

    def work(ctx):
        ctx.append("frames", np.zeros(2))
        ctx.report(progress={"step": 1})
        release.wait(10)
        ctx.append("frames", np.ones(2))
        ctx.report(progress={"step": 2})

    job = manager.submit("alice", "copy", work)
    _wait_for(lambda: manager.snapshot(job, "alice").state.get("progress") == {"step": 1})
    early = manager.snapshot(job, "alice")
    early.state["frames"].append("scribble")  # a reader's change does not reach the job
    release.set()
    manager.wait(job, timeout=10)
    late = manager.snapshot(job, "alice")
    assert early.state["progress"] == {"step": 1} and late.state["progress"] == {"step": 2}
    assert len(late.state["frames"]) == 2 and all(isinstance(f, np.ndarray) for f in late.state["frames"])


def test_old_finished_jobs_are_forgotten_beyond_keep_finished():
    manager = JobManager(max_running=1, keep_finished=2)
    ids = []
    for i in range(4):
        ids.append(manager.submit("alice", str(i), lambda ctx: None))
        manager.wait(ids[-1], timeout=10)
    manager.submit("alice", "last", lambda ctx: None)
    remaining = {s.id for s in manager.jobs_for("alice")}
    assert ids[0] not in remaining and ids[1] not in remaining and ids[3] in remaining


def test_a_finished_jobs_heavy_state_can_be_dropped_by_its_viewer_only():
    manager = JobManager(max_running=1)
    gate = Gate()
    job = manager.submit("alice", "one", lambda ctx: (ctx.report(frames=[1], decoders=[b"x" * 100]), gate(ctx)))
    gate.started.wait(10)
    assert not manager.discard_state(job, "alice", ("decoders",))  # still running: what it appends must line up
    gate.release_event.set()
    manager.wait(job, timeout=10)
    assert not manager.discard_state(job, "bob", ("decoders",))  # not bob's
    assert manager.discard_state(job, "alice", ("decoders",))
    state = manager.snapshot(job, "alice").state
    assert "decoders" not in state and state["frames"] == [1]


# ------------------------------------------------------------------------------------------------ training job
def _request(mnist5k, tmp_path, name="tiny", epochs=3, n=256, variant="ae", latent_dim=4, **train):
    model_config, train_config = make_configs(variant, mnist5k.image_size, {"latent_dim": latent_dim, "hidden": (32,)},
                                              {"epochs": epochs, "batch_size": 32, **train})
    return TrainingRequest(variant=variant, model_config=model_config, train_config=train_config, dataset=mnist5k.name,
                           x_train=mnist5k.x_train[:n], x_val=mnist5k.x_test[:200], preview_x=mnist5k.x_test[:6],
                           latent_x=mnist5k.x_test[:150], latent_y=mnist5k.y_test[:150],
                           class_names=mnist5k.class_names, save_name=name, library_root=tmp_path)


def test_a_training_job_reports_every_epoch_and_saves_the_model(mnist5k, tmp_path, single_thread):
    manager = JobManager(max_running=1)
    job = manager.submit("alice", "tiny", training_work(_request(mnist5k, tmp_path), ThreadExecutor()))
    assert manager.wait(job, timeout=120) == DONE
    snap = manager.snapshot(job, "alice")
    state, outcome = snap.state, snap.result
    assert [h["epoch"] for h in state["history"]] == [1, 2, 3]
    assert set(state["history"][0]["train"]) == {"recon", "total"} and state["history"][0]["val"]
    assert state["history"][-1]["val"]["recon"] < state["history"][0]["val"]["recon"]  # it learned something
    # One latent frame and one set of reconstructions per epoch, plus the untrained model's (epoch 0).
    assert len(state["latent_frames"]) == len(state["preview_frames"]) == 4
    assert all(f.shape == (150, 2) for f in state["latent_frames"])
    assert state["latent_axes"] == ("PC1", "PC2")  # a 4-D code is drawn as its PCA plane, and named so
    assert state["preview_frames"][0].shape == (6, 28, 28) and state["preview_input"].shape == (6, 28, 28)
    assert list(state["labels"]) == mnist5k.y_test[:150].tolist() and state["class_names"] == mnist5k.class_names
    assert state["progress"]["step"] == state["progress"]["total_steps"] == 3 * 8
    assert not outcome.cancelled and outcome.save_error is None and outcome.name == "tiny"
    saved = load_model(outcome.saved_path)
    assert saved.name == "tiny" and saved.variant == "ae" and len(saved.history) == 3
    assert saved.metrics["mse"] == pytest.approx(outcome.metrics["mse"])


def test_latent_frames_are_aligned_from_one_epoch_to_the_next(mnist5k, tmp_path, single_thread):
    """Aligned frames move less between epochs than the raw projections would after a sign flip or rotation."""
    manager = JobManager(max_running=1)
    job = manager.submit("alice", "tiny", training_work(_request(mnist5k, tmp_path, epochs=4), ThreadExecutor()))
    manager.wait(job, timeout=120)
    frames = manager.snapshot(job, "alice").state["latent_frames"]
    for previous, current in zip(frames[1:], frames[2:]):
        aligned_gap = np.linalg.norm(current - previous)
        flipped_gap = np.linalg.norm(current * np.array([-1, 1]) - previous)
        assert aligned_gap <= flipped_gap


def test_each_frame_keeps_the_plane_and_decoder_its_replay_decodes_with(mnist5k, tmp_path, single_thread):
    """The replay's hover: a point (u, v) of frame e decodes plane[0] + u plane[1] + v plane[2] with epoch e's decoder.
    The last frame's plane turns its points back into the final codes' PCA projection (scikit-learn's, computed here
    apart), epoch 0's decoder is the untrained model's and the last one the saved model's (float16: within 1e-3)."""
    from sklearn.decomposition import PCA

    request = _request(mnist5k, tmp_path, epochs=3)
    manager = JobManager(max_running=1)
    job = manager.submit("alice", "tiny", training_work(request, ThreadExecutor()))
    assert manager.wait(job, timeout=120) == DONE
    snap = manager.snapshot(job, "alice")
    frames, planes, decoders = (snap.state[k] for k in ("latent_frames", "latent_planes", "replay_decoders"))
    assert len(frames) == len(planes) == len(decoders) == 4 and all(p.shape == (3, 4) for p in planes)
    z = encode_dataset(snap.result.model, request.latent_x).numpy()
    pca = PCA(2).fit(z)
    projected = pca.inverse_transform(pca.transform(z))
    back = planes[-1][0] + frames[-1] @ planes[-1][1:]
    assert np.abs(back - projected).max() < 1e-4 * np.abs(projected).max()
    # frame 1's plane is its own (turned onto frame 0): its points do not decode frame 3's projection
    assert np.abs(planes[1][0] + frames[1] @ planes[1][1:] - projected).max() > 1e-2
    untrained = create_model(request.model_config, request.train_config.seed).state_dict()
    final = snap.result.model.state_dict()
    assert set(decoders[0]) == {k for k in final if k.startswith("decoder.")}
    for name, weights in decoders[0].items():
        assert weights.dtype == np.float16 and np.allclose(weights, untrained[name].numpy(), atol=1e-3)
        assert np.allclose(decoders[-1][name], final[name].numpy(), atol=1e-3)
        assert not np.allclose(weights, final[name].numpy(), atol=1e-3)  # it trained between the two
    assert snap.state["latent_images"].shape == (150, 28, 28) and snap.state["latent_images"].dtype == np.uint8


def test_a_long_trainings_replay_keeps_every_kth_decoder_within_its_budget():
    from aelab.train.job import REPLAY_DECODER_BYTES, replay_stride

    snapshot = 250_000  # an MLP decoder in float16
    assert replay_stride(30, snapshot) == 1  # every epoch of a class's training
    for epochs in (30, 500, 5000):
        stride = replay_stride(epochs, snapshot)
        kept = len(range(0, epochs + 1, stride)) + 1  # every stride-th epoch and the last
        assert kept * snapshot <= REPLAY_DECODER_BYTES + 2 * snapshot


def test_a_2_latent_trainings_frames_are_its_codes_named_z1_z2(mnist5k, tmp_path, single_thread):
    """No projection and no turning for a 2-D code: the axes are the code's own, so they can be labelled z1, z2."""
    request = _request(mnist5k, tmp_path, epochs=2, n=128, latent_dim=2)
    manager = JobManager(max_running=1)
    job = manager.submit("alice", "two", training_work(request, ThreadExecutor()))
    assert manager.wait(job, timeout=120) == DONE
    snap = manager.snapshot(job, "alice")
    assert snap.state["latent_axes"] == ("z1", "z2")
    codes = encode_dataset(snap.result.model, request.latent_x).numpy()
    assert np.allclose(snap.state["latent_frames"][-1], codes, atol=1e-6)
    plane = snap.state["latent_planes"][-1]  # the replay's hover decodes the point itself
    assert np.array_equal(plane, np.array([[0, 0], [1, 0], [0, 1]], np.float32))


def test_cancelling_a_training_keeps_and_saves_the_model_trained_so_far(mnist5k, tmp_path, single_thread):
    manager = JobManager(max_running=1)
    request = _request(mnist5k, tmp_path, name="stopped", epochs=500, n=512)
    job = manager.submit("alice", "long", training_work(request, ThreadExecutor()))
    _wait_for(lambda: len(manager.snapshot(job, "alice").state.get("history") or []) >= 1, timeout=120)
    manager.cancel(job, "alice")
    assert manager.wait(job, timeout=60) == CANCELLED
    outcome = manager.snapshot(job, "alice").result
    assert outcome.cancelled and 1 <= len(outcome.history) < 500
    assert outcome.model is not None and outcome.saved_path is not None
    assert load_model(outcome.saved_path).name == "stopped"


def test_a_model_that_cannot_be_saved_is_still_returned(mnist5k, tmp_path, single_thread):
    (tmp_path / "taken").mkdir()  # a folder of that name already exists: saving without overwrite fails
    manager = JobManager(max_running=1)
    job = manager.submit("alice", "clash", training_work(_request(mnist5k, tmp_path, name="taken", epochs=2),
                                                         ThreadExecutor()))
    assert manager.wait(job, timeout=120) == DONE
    outcome = manager.snapshot(job, "alice").result
    assert outcome.saved_path is None and "already exists" in outcome.save_error
    untrained = evaluate(create_model(outcome.model_config, 0), mnist5k.x_test[:200])["mse"]
    assert evaluate(outcome.model, mnist5k.x_test[:200])["mse"] == pytest.approx(outcome.metrics["mse"])
    assert outcome.metrics["mse"] < untrained  # the trained weights, not a fresh model


def test_a_bad_name_is_refused_before_any_training(mnist5k, tmp_path):
    with pytest.raises(ModelStoreError, match="Invalid model name"):
        _request(mnist5k, tmp_path, name="../escape")


def test_a_baseline_job_fits_once_and_reports_one_frame(mnist5k, tmp_path, single_thread):
    model_config, train_config = make_configs("pca", mnist5k.image_size, {"latent_dim": 3})
    request = TrainingRequest(variant="pca", model_config=model_config, train_config=train_config,
                              dataset=mnist5k.name, x_train=mnist5k.x_train[:300], x_val=mnist5k.x_test[:100],
                              preview_x=mnist5k.x_test[:4], latent_x=mnist5k.x_test[:50],
                              latent_y=mnist5k.y_test[:50], save_name="pca3", library_root=tmp_path)
    manager = JobManager(max_running=1)
    job = manager.submit("alice", "pca", training_work(request, ThreadExecutor()))
    assert manager.wait(job, timeout=60) == DONE
    state = manager.snapshot(job, "alice").state
    assert len(state["latent_frames"]) == len(state["preview_frames"]) == 1
    assert list(state["history"][0]["train"]) == ["mse"]


def test_a_snapshot_can_copy_only_some_of_the_state():
    manager = JobManager(max_running=1)
    job = manager.submit("alice", "keys", lambda ctx: ctx.report(progress={"step": 3}, frames=[np.zeros((600, 2))]))
    manager.wait(job, timeout=10)
    assert manager.snapshot(job, "alice", keys=("progress", "absent")).state == {"progress": {"step": 3}}
    assert manager.snapshot(job, "alice", keys=()).state == {}
    assert set(manager.snapshot(job, "alice").state) == {"progress", "frames"}
    assert [s.state for s in manager.jobs_for("alice", keys=())] == [{}]


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="per-thread nice values are a Linux feature")
def test_jobs_can_run_at_a_lower_priority_than_the_server():
    def own_niceness(ctx):
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    manager = JobManager(max_running=1, niceness=5)
    job = manager.submit("alice", "nice", own_niceness)
    manager.wait(job, timeout=10)
    assert manager.snapshot(job, "alice").result == min(19, before + 5)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before  # the caller's thread is unchanged


def test_shutdown_cancels_running_and_queued_jobs_and_waits_for_them():
    manager = JobManager(max_running=1)
    running, queued = Gate(), Gate()
    first, second = manager.submit("alice", "a", running), manager.submit("bob", "b", queued)
    _wait_for(running.started.is_set)
    assert manager.shutdown(timeout=10)
    assert status(manager, first) == CANCELLED and status(manager, second, "bob") == CANCELLED
    assert not queued.started.is_set()
