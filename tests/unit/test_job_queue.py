"""Fairness of the job manager (aelab.runtime.jobs): per-session limits, round-robin across sessions, the stated
number of jobs at once, start estimates, and the quick lane that never waits behind image trainings."""
from __future__ import annotations

import threading

import pytest

from aelab.errors import JobRefused
from aelab.runtime.jobs import DONE, QUEUED, RUNNING, JobManager
from aelab.runtime.lanes import QUICK, TRAININGS, lane_manager
from tests.unit.test_jobs import Gate, _wait_for


class Counting(Gate):
    """A Gate that records, in log, the order jobs started in and the most that ran at once."""

    def __init__(self, name: str, log: dict):
        super().__init__(name)
        self.name, self.log = name, log

    def __call__(self, ctx):
        with self.log["lock"]:
            self.log["order"].append(self.name)
            self.log["active"] += 1
            self.log["most"] = max(self.log["most"], self.log["active"])
        try:
            return super().__call__(ctx)
        finally:
            with self.log["lock"]:
                self.log["active"] -= 1


def _log() -> dict:
    return {"lock": threading.Lock(), "order": [], "active": 0, "most": 0}


def test_a_session_runs_one_waits_one_and_is_refused_a_third_with_a_message():
    manager = JobManager(max_running=2, max_running_per_viewer=1, max_queued_per_viewer=1)
    first, second, third = Gate(), Gate(), Gate()
    first_id = manager.submit("alice", "first", first)
    second_id = manager.submit("alice", "second", second)
    _wait_for(first.started.is_set)
    # A core is free, but alice already runs one: her second waits, visibly, first in line.
    snap = manager.snapshot(second_id, "alice")
    assert (snap.status, snap.queue_position) == (QUEUED, 1)
    with pytest.raises(JobRefused, match="you already have 1 running and 1 waiting.*1 running, 1 waiting"):
        manager.submit("alice", "third", third)
    assert len(manager.jobs_for("alice")) == 2  # the refused one left no trace
    # Another session is not affected by alice's limit: it takes the free core at once.
    bob = Gate()
    manager.submit("bob", "bob's", bob)
    _wait_for(bob.started.is_set)
    first.release()
    _wait_for(second.started.is_set)
    third_id = manager.submit("alice", "third, now allowed", third)  # one running, one waiting again
    for gate in (second, third, bob):
        gate.release()
    assert [manager.wait(i) for i in (first_id, second_id, third_id)] == [DONE] * 3


def test_waiting_jobs_are_served_round_robin_across_sessions_not_first_come():
    log = _log()
    manager = JobManager(max_running=1)
    blocker = Counting("blocker", log)
    manager.submit("alice", "blocker", blocker)
    _wait_for(blocker.started.is_set)
    gates = {name: Counting(name, log) for name in ("a1", "a2", "a3", "b1", "c1")}
    owner = {"a": "alice", "b": "bob", "c": "carol"}
    ids = {name: manager.submit(owner[name[0]], name, gate) for name, gate in gates.items()}
    # bob's and carol's single jobs, submitted after alice's three, do not wait behind them
    assert [manager.snapshot(ids[n], owner[n[0]]).queue_position
            for n in ("a1", "b1", "c1", "a2", "a3")] == [1, 2, 3, 4, 5]
    blocker.release()
    for name in ("a1", "b1", "c1", "a2", "a3"):
        _wait_for(gates[name].started.is_set)
        gates[name].release()
    _wait_for(lambda: len(log["order"]) == 6 and log["active"] == 0)
    assert log["order"] == ["blocker", "a1", "b1", "c1", "a2", "a3"]
    assert log["most"] == 1


def test_no_more_than_the_stated_number_run_at_once():
    log = _log()
    manager = JobManager(max_running=2, max_running_per_viewer=1, max_queued_per_viewer=1)
    gates = [Counting(f"s{i}", log) for i in range(5)]
    ids = [manager.submit(f"session {i}", f"s{i}", gate) for i, gate in enumerate(gates)]
    _wait_for(lambda: gates[0].started.is_set() and gates[1].started.is_set())
    assert [manager.snapshot(i, f"session {k}").status for k, i in enumerate(ids)] == [RUNNING] * 2 + [QUEUED] * 3
    for gate in gates:
        _wait_for(gate.started.is_set)
        assert log["active"] <= 2
        gate.release()
    assert [manager.wait(i) for i in ids] == [DONE] * 5
    assert log["most"] == 2


def test_a_waiting_job_knows_roughly_when_it_starts_from_the_running_jobs_eta():
    manager = JobManager(max_running=1)

    def reports_eta(ctx):
        ctx.report(eta_s=30.0)
        while not ctx.should_stop():
            ctx.report(beat=1)
        return "stopped"

    running = manager.submit("alice", "long", reports_eta)
    _wait_for(lambda: manager.snapshot(running, "alice").state.get("eta_s") == 30.0)
    next_id, after_id = manager.submit("bob", "next", Gate()), manager.submit("carol", "after", Gate())
    assert manager.snapshot(next_id, "bob").start_estimate_s == pytest.approx(30.0)
    # nothing has finished yet, so how long "next" takes is unknown: no estimate rather than a made-up one
    assert manager.snapshot(after_id, "carol").start_estimate_s is None
    assert manager.snapshot(running, "alice").start_estimate_s is None  # not waiting
    manager.shutdown()


def test_the_quick_lane_is_not_blocked_by_image_trainings(monkeypatch):
    monkeypatch.setenv("AELAB_MAX_TRAININGS", "1")
    trainings, quick = lane_manager(TRAININGS), lane_manager(QUICK)
    assert trainings.max_running == 1 and trainings.max_running_per_viewer == 1
    assert trainings.max_queued_per_viewer == 1
    long_one, waiting = Gate(), Gate()
    trainings.submit("alice", "image training", long_one)
    queued_id = trainings.submit("bob", "another image training", waiting)
    _wait_for(long_one.started.is_set)
    toy = quick.submit("carol", "playground", lambda ctx: "toy trained")
    assert quick.wait(toy, timeout=10) == DONE and quick.snapshot(toy, "carol").result == "toy trained"
    assert trainings.snapshot(queued_id, "bob").status == QUEUED  # still behind the long one
    trainings.shutdown()
    quick.shutdown()


def test_lane_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("AELAB_MAX_TRAININGS", "3")
    monkeypatch.setenv("AELAB_QUEUED_PER_SESSION", "2")
    monkeypatch.setenv("AELAB_MAX_QUICK_JOBS", "2")
    assert lane_manager(TRAININGS).max_running == 3 and lane_manager(TRAININGS).max_queued_per_viewer == 2
    assert lane_manager(QUICK).max_running == 2
    monkeypatch.setenv("AELAB_MAX_TRAININGS", "lots")
    with pytest.raises(Exception, match="AELAB_MAX_TRAININGS must be a whole number, got 'lots'"):
        lane_manager(TRAININGS)
