"""The overseer's side of the job manager (aelab.runtime.jobs): listing() shows every session's jobs, read-only and
with only the latest item of a frame list; stop() cancels anyone's job; neither gives a session another's jobs."""
from __future__ import annotations

import numpy as np

from aelab.runtime.jobs import CANCELLED, DONE, QUEUED, RUNNING, JobManager
from tests.unit.test_jobs import Gate, _wait_for


def _frames_job(ctx):
    for epoch in range(3):
        ctx.append("frames", np.full((4, 2), epoch, np.float32))
    ctx.report(history=[{"epoch": 1}], progress={"epoch": 3})
    return "model"


def test_listing_shows_every_sessions_jobs_with_owner_group_and_only_the_last_frame():
    manager = JobManager(max_running=2)
    first = manager.submit("alice-tab", "alice's", _frames_job, group="library:a")
    second = manager.submit("bob-tab", "bob's", _frames_job, group="library:b")
    for job_id in (first, second):
        manager.wait(job_id, timeout=10)
    listed = manager.listing(keys=("history",), tails=("frames",))
    assert [(j.owner, j.group, j.snapshot.id) for j in listed] == [("alice-tab", "library:a", first),
                                                                    ("bob-tab", "library:b", second)]
    state = listed[0].snapshot.state
    assert set(state) == {"history", "frames"} and len(state["frames"]) == 1
    assert state["frames"][0][0, 0] == 2  # the latest frame
    assert listed[0].snapshot.status == DONE and listed[0].snapshot.result == "model"
    (only,) = manager.listing(keys=(), ids={second})
    assert only.snapshot.id == second and only.snapshot.state == {}


def test_a_listed_snapshot_is_a_copy():
    manager = JobManager(max_running=1)
    job_id = manager.submit("alice", "a", _frames_job)
    manager.wait(job_id, timeout=10)
    listed = manager.listing(keys=("history",), tails=("frames",))[0].snapshot
    listed.state["history"].append({"epoch": 99})
    listed.state["frames"][0][:] = -1
    again = manager.listing(keys=("history",), tails=("frames",))[0].snapshot
    assert again.state["history"] == [{"epoch": 1}] and again.state["frames"][0][0, 0] == 2


def test_listing_tells_a_queued_job_its_position():
    manager = JobManager(max_running=1)
    gate = Gate()
    running = manager.submit("alice", "a", gate)
    _wait_for(gate.started.is_set)
    waiting = manager.submit("bob", "b", Gate())
    positions = {j.snapshot.id: (j.snapshot.status, j.snapshot.queue_position) for j in manager.listing()}
    assert positions == {running: (RUNNING, 0), waiting: (QUEUED, 1)}
    manager.shutdown()


def test_stop_cancels_anyones_job_but_cancel_only_ones_own():
    manager = JobManager(max_running=1)
    gate = Gate()
    running = manager.submit("alice", "a", gate)
    _wait_for(gate.started.is_set)
    queued = manager.submit("bob", "b", Gate())
    assert not manager.cancel(running, "bob")  # a session cannot stop another's training
    assert manager.stop(queued) and manager.snapshot(queued, "bob").status == CANCELLED
    assert manager.stop(running)
    manager.wait(running, timeout=10)
    assert manager.snapshot(running, "alice").status == CANCELLED
    assert not manager.stop(running)  # finished: nothing to stop
    assert not manager.stop("no-such-job")


def test_listing_gives_no_session_a_job_it_did_not_start():
    manager = JobManager(max_running=1)
    job_id = manager.submit("alice", "a", _frames_job)
    manager.wait(job_id, timeout=10)
    manager.listing()
    assert manager.jobs_for("bob") == [] and manager.snapshot(job_id, "bob") is None
