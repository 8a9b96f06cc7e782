"""Background jobs that outlive a page rerun: bounded concurrency, a queue, progress snapshots, cancel.

Nothing here knows about Streamlit. A job runs a work function in a daemon thread; the function reports through a
JobContext (report / should_stop) and whatever it returns becomes the job's result. Readers take snapshot(), a copy
made under the job's lock, so a page that polls twice a second never sees a half-updated job.

Access: a job id is a random UUID and is the capability to watch it; a reloaded tab re-attaches with the id it kept
(never in a URL), and only within the job's group (e.g. the browser or library that started it), so an id alone
does not let another group watch it. Listing is per viewer: a session sees only the jobs it started or attached to.
The one exception is listing() and stop(): every job, for whoever oversees all sessions (a class's teacher, once the
app has checked the key); the app never calls them for a session's own pages.

Fairness: each viewer (a session) may have at most max_running_per_viewer jobs running and max_queued_per_viewer
waiting (None: no limit); a job beyond that is refused (JobRefused) rather than queued. Waiting jobs are served
round-robin across viewers, not first come first served: a session with one job waiting does not wait behind three
of another's. A waiting job knows its position and a rough start estimate from the running jobs' reported eta_s.
A server keeps two managers as lanes (aelab.runtime.lanes: long image trainings, jobs of a second or two), so short
jobs never wait behind long ones.
"""
from __future__ import annotations

import copy
import logging
import math
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aelab.errors import AelabError, JobRefused

QUEUED, RUNNING, DONE, CANCELLED, ERROR = "queued", "running", "done", "cancelled", "error"
FINISHED = (DONE, CANCELLED, ERROR)
log = logging.getLogger(__name__)


class JobCancelled(Exception):
    """Raised inside a work function by JobContext.check_cancel() to stop at a safe point."""


@dataclass
class JobSnapshot:
    id: str
    title: str
    status: str
    queue_position: int  # 1 = next to start; 0 when not queued
    state: dict[str, Any]  # whatever the work function reported (progress, history, frames...), deep-copied
    result: Any  # the work function's return value once finished (shared, treat as read-only)
    error: str | None
    created: float
    started: float | None
    finished: float | None
    start_estimate_s: float | None = None  # a waiting job: about how many seconds until it starts (None: unknown)

    @property
    def finished_ok(self) -> bool:
        return self.status == DONE

    @property
    def active(self) -> bool:
        return self.status in (QUEUED, RUNNING)


@dataclass(frozen=True)
class ListedJob:
    """A job as listing() shows it to whoever oversees every session: who submitted it, who may attach, its state."""

    owner: str  # the viewer who submitted it
    group: str  # who may attach to it (e.g. the submitter's browser)
    snapshot: JobSnapshot


@dataclass
class Job:
    id: str
    title: str
    work: Callable[[JobContext], Any]
    viewers: set[str]
    status: str = QUEUED
    state: dict[str, Any] = field(default_factory=dict)
    result: Any = None
    error: str | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    owner: str = ""  # the viewer who submitted it: the one its limits and its turn count for
    group: str = ""  # who else may attach to it (attach with the same group): e.g. the submitter's browser


def _remaining_s(job: Job, typical_s: float | None) -> float | None:
    """About how long a running job still needs: its reported eta_s, else the typical duration less its age."""
    with job.lock:
        eta = job.state.get("eta_s")
    if isinstance(eta, (int, float)) and eta == eta and eta >= 0:  # (eta == eta: not NaN)
        return float(eta)
    if typical_s is None:
        return None
    return max(0.0, typical_s - (time.time() - (job.started or time.time())))


class JobContext:
    """What a work function may do: report state, and ask whether it should stop."""

    def __init__(self, job: Job):
        self._job = job

    def report(self, **fields: Any) -> None:
        with self._job.lock:
            self._job.state.update(fields)

    def append(self, key: str, item: Any) -> None:
        with self._job.lock:
            self._job.state.setdefault(key, []).append(item)

    def should_stop(self) -> bool:
        return self._job.cancel_event.is_set()

    def check_cancel(self) -> None:
        if self.should_stop():
            raise JobCancelled()


class JobManager:
    """Runs at most max_running jobs at once (default: one per core); the rest wait, served round-robin by viewer.

    niceness > 0 lowers the scheduling priority of the job threads (Linux gives each thread its own nice value), so
    that on a machine whose cores are all training, the threads answering users still get a core when they need one.
    max_running_per_viewer / max_queued_per_viewer: a viewer's own limits (None: none); a submit beyond them raises
    JobRefused with a message for the user.
    """

    def __init__(self, max_running: int | None = None, keep_finished: int = 200, niceness: int = 0,
                 max_running_per_viewer: int | None = None, max_queued_per_viewer: int | None = None):
        self.max_running = max(1, max_running or os.cpu_count() or 1)
        self.keep_finished = keep_finished
        self.niceness = niceness
        self.max_running_per_viewer = max_running_per_viewer
        self.max_queued_per_viewer = max_queued_per_viewer
        self._jobs: dict[str, Job] = {}
        self._waiting: dict[str, deque[str]] = {}  # viewer -> its waiting job ids, oldest first
        self._turns: deque[str] = deque()  # viewers with waiting jobs, next to be served first
        self._running = 0
        self._durations: deque[float] = deque(maxlen=20)  # of recently finished jobs: the estimate for unknowns
        self._lock = threading.Lock()

    def submit(self, viewer: str, title: str, work: Callable[[JobContext], Any],
               state: dict[str, Any] | None = None, group: str = "") -> str:
        """Queue work(ctx) for viewer; state: what the job shows before it starts (e.g. its input images); group:
        who may attach to it later (attach). Raises JobRefused when viewer already has as many jobs running and
        waiting as allowed."""
        job = Job(id=uuid.uuid4().hex, title=title, work=work, viewers={viewer}, state=dict(state or {}),
                  owner=viewer, group=group)
        with self._lock:
            self._refuse_beyond_limits(viewer)
            self._jobs[job.id] = job
            self._waiting.setdefault(viewer, deque()).append(job.id)
            if viewer not in self._turns:
                self._turns.append(viewer)
            self._forget_old_jobs()
        self._start_waiting()
        return job.id

    def _refuse_beyond_limits(self, viewer: str) -> None:
        run_limit, queue_limit = self.max_running_per_viewer, self.max_queued_per_viewer
        if run_limit is None and queue_limit is None:
            return
        run_limit = math.inf if run_limit is None else run_limit
        queue_limit = math.inf if queue_limit is None else queue_limit
        running = sum(1 for j in self._jobs.values() if j.owner == viewer and j.status == RUNNING)
        waiting = len(self._waiting.get(viewer, ()))
        if running + waiting >= run_limit + queue_limit or waiting >= max(1, queue_limit):
            raise JobRefused(
                f"Not started: you already have {running} running and {waiting} waiting, the most this server "
                f"allows per session ({_limit(run_limit)} running, {_limit(queue_limit)} waiting). Wait for one to "
                "finish, or cancel one, then start again.")

    def queue_order(self) -> list[str]:
        """Waiting job ids in the order they would start: one per viewer in turn, each viewer's oldest first."""
        with self._lock:
            return self._queue_order()

    def _queue_order(self) -> list[str]:
        order, queues = [], {v: list(self._waiting[v]) for v in self._turns}
        while any(queues.values()):
            for viewer in self._turns:
                if queues[viewer]:
                    order.append(queues[viewer].pop(0))
        return order

    def attach(self, job_id: str, viewer: str, group: str = "") -> bool:
        """Let viewer watch job_id (a reloaded tab); False if there is no such job or it is another group's."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.group != group:
                return False
            job.viewers.add(viewer)
            return True

    def snapshot(self, job_id: str, viewer: str, keys: tuple[str, ...] | None = None) -> JobSnapshot | None:
        """A consistent copy of the job, or None if it does not exist or viewer has not started/attached to it.
        keys: copy only these entries of the reported state (a progress bar polled twice a second needs no frames)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or viewer not in job.viewers:
                return None
            order = self._queue_order()
            position = order.index(job_id) + 1 if job_id in order else 0
            estimate = self._start_estimate(order[:position]) if position else None
        return _copy(job, position, estimate, keys)

    def listing(self, keys: tuple[str, ...] = (), tails: tuple[str, ...] = (),
                ids: set[str] | frozenset[str] | None = None) -> list[ListedJob]:
        """Every job (or those of ids), oldest first, whoever submitted it: read-only, for an overseer (a class's
        teacher), never for a session's own pages (jobs_for). keys: state entries copied whole; tails: list entries
        of which only the last item is copied (a wall of 20 trainings polled every few seconds wants each one's
        latest frame, not all)."""
        with self._lock:
            jobs = sorted((j for j in self._jobs.values() if ids is None or j.id in ids), key=lambda j: j.created)
            order = self._queue_order()
        listed = []
        for job in jobs:
            position = order.index(job.id) + 1 if job.id in order else 0
            listed.append(ListedJob(job.owner, job.group, _copy(job, position, None, keys, tails)))
        return listed

    def _start_estimate(self, ahead_and_self: list[str]) -> float | None:
        """Seconds until the last job of ahead_and_self starts, if every slot frees as the running jobs' eta_s say
        and each job ahead takes the typical duration of recent jobs; None when that cannot be told yet."""
        typical = sum(self._durations) / len(self._durations) if self._durations else None
        slots = [_remaining_s(j, typical) for j in self._jobs.values() if j.status == RUNNING]
        if any(t is None for t in slots):
            return None
        slots = sorted(slots + [0.0] * max(0, self.max_running - len(slots)))
        for _ in ahead_and_self[:-1]:  # each job ahead takes the slot that frees first
            if typical is None:
                return None
            slots[0] += typical
            slots.sort()
        return slots[0]

    def jobs_for(self, viewer: str, keys: tuple[str, ...] | None = None) -> list[JobSnapshot]:
        """Snapshots of every job viewer started or attached to, oldest first (keys: as in snapshot)."""
        with self._lock:
            ids = [job.id for job in self._jobs.values() if viewer in job.viewers]
        return [s for s in (self.snapshot(i, viewer, keys) for i in ids) if s is not None]

    def cancel(self, job_id: str, viewer: str) -> bool:
        """Ask a job to stop at its next safe point (a queued job never starts). False if not viewer's job."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or viewer not in job.viewers:
                return False
            self._cancel(job)
        return True

    def stop(self, job_id: str) -> bool:
        """cancel() for an overseer (a class's teacher stopping a runaway training), whoever's job it is; False if
        there is no such job or it has already finished."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.status in FINISHED:
                return False
            self._cancel(job)
        return True

    def _cancel(self, job: Job) -> None:
        job.cancel_event.set()
        if job.id in self._waiting.get(job.owner, ()):
            self._unqueue(job)
            with job.lock:
                job.status, job.finished = CANCELLED, time.time()

    def discard_state(self, job_id: str, viewer: str, keys: tuple[str, ...]) -> bool:
        """Drop entries of a finished job's reported state that no one will draw again (a session's earlier training
        once it has started another: its epochs' decoders), keeping the job and the rest of its state. False if it is
        not viewer's job or has not finished (what a running job still appends would no longer line up)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or viewer not in job.viewers or job.status not in FINISHED:
                return False
        with job.lock:
            for key in keys:
                job.state.pop(key, None)
        return True

    def forget_viewer(self, viewer: str) -> int:
        """Forget viewer's finished jobs (a session that ended: their models and frames are freed) unless another
        viewer still watches them; returns how many of viewer's jobs are still queued or running (call again later)."""
        with self._lock:
            mine = [job for job in self._jobs.values() if viewer in job.viewers]
            active = [job for job in mine if job.status not in FINISHED]
            for job in mine:
                if job.status in FINISHED:
                    job.viewers.discard(viewer)
                    if not job.viewers:
                        del self._jobs[job.id]
            return len(active)

    def _unqueue(self, job: Job) -> None:
        waiting = self._waiting[job.owner]
        waiting.remove(job.id)
        if not waiting:
            del self._waiting[job.owner]
            self._turns.remove(job.owner)

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Cancel every job (queued ones never start) and wait up to timeout seconds for the running ones to stop
        at their next safe point; True if none is left running. For the end of the process: a thread still inside
        torch when the interpreter exits aborts it ("terminate called without an active exception")."""
        with self._lock:
            for job in self._jobs.values():
                job.cancel_event.set()
            queued = [self._jobs[job_id] for waiting in self._waiting.values() for job_id in waiting]
            self._waiting.clear()
            self._turns.clear()
        for job in queued:
            with job.lock:
                job.status, job.finished = CANCELLED, time.time()
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self._lock:
                if self._running == 0:
                    return True
            time.sleep(0.02)
        return False

    def wait(self, job_id: str, timeout: float = 60.0) -> str:
        """Block until the job finishes (for the CLI and tests); returns its status."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self._lock:
                job = self._jobs[job_id]
            if job.status in FINISHED:
                return job.status
            time.sleep(0.02)
        raise TimeoutError(f"Job {job_id} did not finish within {timeout} s.")

    # ------------------------------------------------------------------------------------------------ internals
    def _next_job(self) -> Job | None:
        """The oldest waiting job of the first viewer in turn who may run one more; that viewer goes to the back."""
        limit = self.max_running_per_viewer
        for viewer in list(self._turns):
            if limit is not None:
                running = sum(1 for j in self._jobs.values() if j.owner == viewer and j.status == RUNNING)
                if running >= limit:
                    continue
            job = self._jobs[self._waiting[viewer][0]]
            self._unqueue(job)
            if viewer in self._waiting:  # more of its jobs wait: its next turn comes after everyone else's
                self._turns.remove(viewer)
                self._turns.append(viewer)
            return job
        return None

    def _start_waiting(self) -> None:
        with self._lock:
            while self._running < self.max_running:
                job = self._next_job()
                if job is None:
                    break
                self._running += 1
                with job.lock:
                    job.status, job.started = RUNNING, time.time()
                threading.Thread(target=self._run, args=(job,), name=f"aelab-job-{job.id[:8]}", daemon=True).start()

    def _run(self, job: Job) -> None:
        status, result, error = DONE, None, None
        _lower_priority(self.niceness)
        try:
            result = job.work(JobContext(job))
            if job.cancel_event.is_set():
                status = CANCELLED
        except JobCancelled:
            status = CANCELLED
        except AelabError as err:  # a user-facing problem (NaN loss, bad data): its message is enough
            status, error = ERROR, str(err)
        except Exception as err:  # a bug: the job shows its last line; the log keeps the whole traceback
            status, error = ERROR, f"{type(err).__name__}: {err}"
            log.exception("job %s (%s) failed", job.id[:8], job.title)
        with self._lock:  # the manager's lock first, as everywhere, so a snapshot never sees a finished job running
            with job.lock:
                job.status, job.result, job.error, job.finished = status, result, error, time.time()
            if status == DONE:
                self._durations.append(job.finished - (job.started or job.finished))
            self._running -= 1
        self._start_waiting()

    def _forget_old_jobs(self) -> None:
        finished = [j for j in self._jobs.values() if j.status in FINISHED]
        for job in sorted(finished, key=lambda j: j.created)[:max(0, len(finished) - self.keep_finished)]:
            del self._jobs[job.id]


def _copy(job: Job, position: int, estimate: float | None, keys: tuple[str, ...] | None,
          tails: tuple[str, ...] = ()) -> JobSnapshot:
    """A snapshot of job made under its lock: the state entries of keys (all for None) deep-copied, and of tails
    only the last item of each list."""
    with job.lock:
        state = job.state if keys is None else {k: job.state[k] for k in keys if k in job.state}
        state = copy.deepcopy(state)
        for key in tails:
            items = job.state.get(key)
            if items:
                state[key] = [copy.deepcopy(items[-1])]
        return JobSnapshot(job.id, job.title, job.status, position, state, job.result, job.error, job.created,
                           job.started, job.finished, estimate)


def _limit(n: float) -> str:
    return "any number" if n == math.inf else str(int(n))


def _lower_priority(niceness: int) -> None:
    """Raise this thread's nice value by niceness (Linux: per thread); a no-op elsewhere or when not allowed."""
    if niceness <= 0 or not hasattr(os, "setpriority") or not hasattr(threading, "get_native_id"):
        return
    try:
        native = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, native, min(19, os.getpriority(os.PRIO_PROCESS, native) + niceness))
    except OSError:
        pass
