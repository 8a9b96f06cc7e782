"""The session registry: sessions idle past the timeout give up what they registered (uploads, unsaved models, cached
results, finished jobs), what another live session holds stays, and malloc_trim is called and harmless."""
from __future__ import annotations

import threading

from aelab.runtime import sessions
from aelab.runtime.identity import PUBLIC, CacheIdentity
from aelab.runtime.jobs import JobManager
from aelab.runtime.results import ResultStore
from aelab.runtime.sessions import SessionRegistry, trim_memory


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _session(registry, store, sid, owners=()):
    """A session holding an upload, an unsaved model and a cached result, registered as the app does."""
    held = {"uploads": {"upload:x.npz": bytearray(1 << 20)}, "models": {"mine": object()}}
    for owner in (sid, *owners):
        store.put(CacheIdentity("sha256:abc", "w", owner), "codes", (), [1.0] * 100)
    registry.touch(sid, owners, [held["uploads"].clear, held["models"].clear])
    return held


def test_an_idle_session_releases_its_uploads_models_and_results():
    clock, store, trims = Clock(), ResultStore(), []
    registry = SessionRegistry(60, evict_owner=store.evict_owner, clock=clock, trim=lambda: trims.append(1))
    store.put(CacheIdentity("source:mnist", "w", PUBLIC), "codes", (), [0.0])
    idle, active = _session(registry, store, "idle"), _session(registry, store, "active")
    clock.now += 50
    registry.touch("active")  # a rerun of the other tab
    assert registry.sweep() == [] and idle["uploads"] and trims == []
    clock.now += 30  # idle: 80 s without a rerun; active: 30 s
    assert registry.sweep() == ["idle"]
    assert idle == {"uploads": {}, "models": {}} and active["uploads"] and active["models"]
    assert set(store.stats().owners) == {PUBLIC, "active"} and trims == [1]
    assert "idle" not in registry and "active" in registry and registry.live() == 1
    assert registry.sweep() == []  # released once


def test_a_library_owner_another_live_session_holds_keeps_its_results():
    clock, store = Clock(), ResultStore()
    registry = SessionRegistry(60, evict_owner=store.evict_owner, clock=clock, trim=lambda: None)
    _session(registry, store, "tab1", owners=["library:ns"])
    clock.now += 40
    _session(registry, store, "tab2", owners=["library:ns"])  # a second tab of the same browser
    clock.now += 30
    assert registry.sweep() == ["tab1"]
    assert set(store.stats().owners) == {"tab2", "library:ns"}
    clock.now += 61
    assert registry.sweep() == ["tab2"] and store.stats().owners == {}


def test_a_session_active_again_starts_over_and_a_pending_action_is_repeated():
    clock, calls = Clock(), []
    registry = SessionRegistry(10, clock=clock, trim=lambda: None)
    remaining = [2]  # a job still running: the action asks to be called again until it has ended

    def forget_jobs():
        calls.append(clock.now)
        remaining[0] -= 1
        return remaining[0]

    registry.touch("s", release=[forget_jobs])
    clock.now += 11
    assert registry.sweep() == ["s"] and len(calls) == 1
    clock.now += 1
    assert registry.sweep() == [] and len(calls) == 2  # called again, now done
    assert registry.sweep() == [] and len(calls) == 2
    registry.touch("s", release=[forget_jobs])
    assert "s" in registry


def test_a_failing_action_does_not_stop_the_others():
    clock, done = Clock(), []
    registry = SessionRegistry(1, clock=clock, trim=lambda: None)
    registry.touch("s", release=[lambda: 1 / 0, lambda: done.append(True)])
    clock.now += 2
    assert registry.sweep() == ["s"] and done == [True]


def test_forget_viewer_drops_finished_jobs_and_keeps_running_and_shared_ones():
    manager, gate = JobManager(max_running=2), threading.Event()
    finished = manager.submit("a", "done", lambda ctx: "model")
    shared = manager.submit("a", "shared", lambda ctx: "model")
    manager.attach(shared, "b")
    running = manager.submit("a", "running", lambda ctx: gate.wait(10))
    manager.wait(finished), manager.wait(shared)
    assert manager.forget_viewer("a") == 1  # the running one is left for a later sweep
    assert manager.snapshot(finished, "a") is None and manager.snapshot(shared, "b") is not None
    gate.set()
    manager.wait(running)
    assert manager.forget_viewer("a") == 0 and manager.jobs_for("a") == []


def test_malloc_trim_is_called_and_harmless(monkeypatch):
    calls = []
    if sessions._MALLOC_TRIM is not None:  # glibc: the real call first, then a recording stand-in
        assert trim_memory() in (True, False)
    monkeypatch.setattr(sessions, "_MALLOC_TRIM", lambda pad: calls.append(pad) or 1)
    assert trim_memory() is True and calls == [0]
    monkeypatch.setattr(sessions, "_MALLOC_TRIM", None)  # musl, macOS: nothing to call
    assert trim_memory() is False


def test_the_sweeper_thread_releases_without_any_rerun():
    released = threading.Event()
    registry = SessionRegistry(0.05, trim=lambda: None)
    registry.touch("s", release=[released.set])
    registry.start(period=0.02)
    assert released.wait(5)


def test_a_busy_session_is_not_released():
    clock, busy = Clock(), [True]
    registry = SessionRegistry(10, clock=clock, trim=lambda: None)
    registry.touch("s", busy=lambda: busy[0])  # a tab watching its training: no full rerun, a job running
    clock.now += 100
    assert registry.sweep() == [] and "s" in registry
    busy[0] = False
    clock.now += 5
    assert registry.sweep() == []  # idle counts from the last time it was busy
    clock.now += 6
    assert registry.sweep() == ["s"]
