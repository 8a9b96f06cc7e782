"""Trainings outside the server's process (aelab.runtime.executors, aelab.train.remote): a warm worker process
reports the same progress as a training in a thread, stops when cancelled, gives back the same model, which the
server saves; a crash or an exception in the worker becomes the job's error, never a hang."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
import torch

from aelab.errors import ConfigError, TrainingError
from aelab.library.store import list_models, load_model
from aelab.models.variants import make_configs
from aelab.runtime.executors import ProcessExecutor, ThreadExecutor, backend_name
from aelab.runtime.jobs import CANCELLED, DONE, ERROR, JobManager
from aelab.train.job import TrainingRequest
from aelab.train.remote import PRELOAD, training_work


def request_for(dataset, root, name="tiny", epochs=2, n=128, **train) -> TrainingRequest:
    model_config, train_config = make_configs("ae", dataset.image_size, {"latent_dim": 3, "hidden": (16,)},
                                              {"epochs": epochs, "batch_size": 32, "seed": 3, **train})
    return TrainingRequest(variant="ae", model_config=model_config, train_config=train_config, dataset=dataset.name,
                           x_train=dataset.x_train[:n], x_val=dataset.x_test[:64], preview_x=dataset.x_test[:4],
                           latent_x=dataset.x_test[:40], latent_y=dataset.y_test[:40],
                           class_names=dataset.class_names, save_name=name, library_root=root)


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def crash_hard(arg, ctx):
    """A worker that dies without a word (a segfault, the OOM killer)."""
    ctx.report(phase="about to die")
    os._exit(3)


def raise_bug(arg, ctx):
    ctx.report(phase="about to fail")
    raise ZeroDivisionError(arg)


def raise_training_error(arg, ctx):
    raise TrainingError("The loss became NaN at epoch 1; lower the learning rate.")


def worker_pid(arg, ctx):
    return os.getpid(), os.getpriority(os.PRIO_PROCESS, 0), torch.get_num_threads()


def app_modules(arg, ctx):
    """The modules of the app's layers (and the worker's main) that the worker process has loaded."""
    return sorted(name for name in sys.modules if name.split(".")[0] in ("streamlit", "plotly", "ui", "pages")), \
        getattr(sys.modules["__main__"], "__file__", "")


def worker_group(arg, ctx):
    autogroup = Path("/proc/self/autogroup")
    return os.getsid(0), autogroup.read_text() if autogroup.exists() else None


@pytest.fixture(scope="module")
def pool():
    """One warm worker (one thread, nice +1: lower, without starving it on a busy machine) for the module."""
    executor = ProcessExecutor(warm=1, threads=1, niceness=1, preload=PRELOAD)
    yield executor
    executor.shutdown()


def test_with_autogroup_a_worker_has_a_scheduling_group_of_its_own_at_its_nice_value(pool):
    """Linux's autogroup applies nice only inside a session: the worker leaves the server's session and nices its
    own group, so a training yields to a student's browser and to the server alike."""
    enabled = Path("/proc/sys/kernel/sched_autogroup_enabled")
    if not enabled.exists() or enabled.read_text().strip() != "1":
        pytest.skip("no autogroup here: the process's own nice value is all the scheduler uses")
    manager = JobManager(max_running=1)
    job = manager.submit("alice", "group", lambda ctx: pool.run(worker_group, None, ctx))
    assert manager.wait(job, timeout=120) == DONE
    session, autogroup = manager.snapshot(job, "alice").result
    assert session != os.getsid(0)
    wanted = min(19, os.getpriority(os.PRIO_PROCESS, 0) + 1)
    assert autogroup.strip().endswith(f"nice {wanted}"), autogroup


def test_a_worker_started_by_a_streamlit_server_imports_aelab_only(monkeypatch):
    """Streamlit runs app.py as this process's __main__, and multiprocessing's spawn re-ran that script in every
    worker: Streamlit and the whole UI imported, the first page run without a session (117 "missing
    ScriptRunContext" warnings in the server's log). The worker is a fresh interpreter running aelab's worker."""
    import types

    import streamlit  # noqa: F401 -- loaded here, as in a server

    fake_main = types.ModuleType("__main__")  # what Streamlit's script runner puts in sys.modules["__main__"]
    fake_main.__file__ = str(Path(__file__).resolve().parents[2] / "app.py")
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    executor = ProcessExecutor(warm=0, threads=1, niceness=0, preload=PRELOAD)
    try:
        manager = JobManager(max_running=1)
        job = manager.submit("alice", "modules", lambda ctx: executor.run(app_modules, None, ctx))
        assert manager.wait(job, timeout=120) == DONE, manager.snapshot(job, "alice").error
    finally:
        executor.shutdown()
    loaded, main_file = manager.snapshot(job, "alice").result
    assert loaded == [] and main_file.endswith("aelab/runtime/worker.py"), (loaded, main_file)


def test_the_backend_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("AELAB_TRAINING_BACKEND", raising=False)
    monkeypatch.delenv("AELAB_RAY_ADDRESS", raising=False)
    assert backend_name() == "process"
    monkeypatch.setenv("AELAB_RAY_ADDRESS", "ray://head:10001")
    assert backend_name() == "ray"
    monkeypatch.setenv("AELAB_TRAINING_BACKEND", "thread")
    assert backend_name() == "thread"
    with pytest.raises(ConfigError, match="valid: thread, process, ray"):
        backend_name("gpu")


def test_a_worker_runs_apart_at_a_lower_priority_and_is_reused(pool):
    manager = JobManager(max_running=1)
    pids = []
    for _ in range(2):
        job = manager.submit("alice", "pid", lambda ctx: pool.run(worker_pid, None, ctx))
        assert manager.wait(job, timeout=120) == DONE
        pids.append(manager.snapshot(job, "alice").result)
    (pid, nice, threads), again = pids
    assert pid != os.getpid() and again[0] == pid  # another process, the same warm one both times
    assert nice == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 1)
    assert threads == 1


def test_a_training_in_a_worker_reports_saves_here_and_equals_the_same_training_in_a_thread(
        pool, mnist5k, tmp_path, single_thread):
    manager = JobManager(max_running=1)
    remote_root, local_root = tmp_path / "remote", tmp_path / "local"
    remote = manager.submit("alice", "remote", training_work(request_for(mnist5k, remote_root), pool))
    assert manager.wait(remote, timeout=120) == DONE
    local = manager.submit("alice", "local", training_work(request_for(mnist5k, local_root), ThreadExecutor()))
    assert manager.wait(local, timeout=120) == DONE
    snap, twin = manager.snapshot(remote, "alice"), manager.snapshot(local, "alice")
    # the same state keys, relayed: an epoch's history each, the untrained frame + one per epoch
    assert set(snap.state) == set(twin.state)
    assert [h["epoch"] for h in snap.state["history"]] == [1, 2]
    assert len(snap.state["preview_frames"]) == len(snap.state["latent_frames"]) == 3
    assert snap.state["progress"]["step"] == snap.state["progress"]["total_steps"] == 2 * 4
    outcome = snap.result
    assert isinstance(outcome.model, torch.nn.Module) and outcome.name == "tiny" and outcome.save_error is None
    remote_weights, local_weights = outcome.model.state_dict(), twin.result.model.state_dict()
    assert remote_weights.keys() == local_weights.keys()
    for key, value in remote_weights.items():
        assert torch.equal(value, local_weights[key]), key
    assert outcome.metrics == pytest.approx(twin.result.metrics, rel=1e-6)
    # saved by the server, in its library (the worker was given no name to save under)
    assert outcome.saved_path == remote_root / "tiny" and [m.name for m in list_models(remote_root, tmp_path)] == [
        "tiny"]
    saved = load_model(outcome.saved_path).model.state_dict()
    assert all(torch.equal(saved[k], v) for k, v in remote_weights.items())


def test_cancelling_a_training_in_a_worker_stops_it_and_keeps_the_model(pool, mnist5k, tmp_path):
    manager = JobManager(max_running=1)
    job = manager.submit("alice", "long", training_work(request_for(mnist5k, tmp_path, "stopped", epochs=500), pool))
    wait_for(lambda: len(manager.snapshot(job, "alice").state.get("history") or []) >= 1, timeout=120)
    asked = time.time()
    manager.cancel(job, "alice")
    assert manager.wait(job, timeout=30) == CANCELLED
    stopped_within = time.time() - asked
    outcome = manager.snapshot(job, "alice").result
    assert outcome.cancelled and 1 <= len(outcome.history) < 500
    assert load_model(outcome.saved_path).name == "stopped"
    assert stopped_within < 5.0, f"the worker took {stopped_within:.1f} s to stop"


@pytest.mark.parametrize("fn, message", [
    (raise_bug, "ZeroDivisionError: 7"),
    (raise_training_error, "The loss became NaN at epoch 1; lower the learning rate."),
    (crash_hard, "stopped unexpectedly (exit code 3)"),
])
def test_an_error_or_a_crash_in_the_worker_is_the_jobs_error(pool, fn, message):
    manager = JobManager(max_running=1)
    job = manager.submit("alice", "doomed", lambda ctx: pool.run(fn, 7, ctx))
    assert manager.wait(job, timeout=120) == ERROR
    snap = manager.snapshot(job, "alice")
    assert message in snap.error
    assert fn is raise_training_error or snap.state["phase"].startswith("about to")  # reports came first
    # the pool is still usable afterwards (a dead worker is replaced)
    again = manager.submit("alice", "after", lambda ctx: pool.run(worker_pid, None, ctx))
    assert manager.wait(again, timeout=120) == DONE
