"""Where a job's heavy work runs: in the calling thread, in a warm worker process at a lower priority, or on Ray.

An executor (the Executor protocol) runs fn(arg, ctx) somewhere and returns its result in the calling thread, which
is a JobManager job's thread: the job contract (JobContext.report / append / should_stop, the return value, the
exception) is kept, only the computing moves. fn must be a module-level function (sent by reference) and arg
picklable; what fn reports through its context is relayed to the job's real context as it happens, and a stop asked
of the job is passed on. Whatever crosses to another process is pickled, so an argument or a result decides itself
how it travels (aelab.train.job.TrainingOutcome sends its model as weights).

- ThreadExecutor: fn runs right here (what every job did before; quick jobs keep doing it).
- ProcessExecutor: a pool of warm worker processes (aelab.runtime.worker: a fresh interpreter that imports aelab
  only, never forked from a threaded server nor re-running the server's main script), each having imported torch
  and the preloaded modules once, at a lower priority (os.nice) with its own torch thread count: the server's
  threads no longer share the GIL with a training, and the kernel gives the users' requests a core first. A worker
  that dies (a crash, a kill) fails the job with a message and is replaced; one that ignores a stop for
  STOP_GRACE_S is killed.
- RayExecutor: fn runs in a Ray actor (one per job, a GPU asked for when the cluster has one); the job's thread polls
  the actor for reports. Ray is imported only here, only when used (aelab imports without it).
"""
from __future__ import annotations

import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Protocol

from aelab.runtime.jobs import JobCancelled

log = logging.getLogger(__name__)
BACKENDS = ("thread", "process", "ray")
POLL_S = 0.1  # how often a job's thread looks for reports and stop requests: a stop reaches the worker within this
STOP_GRACE_S = 10.0  # a worker that has not stopped this long after being asked is killed (the job ends cancelled)
READY_TIMEOUT_S = 120.0  # a worker that has not imported its modules in this time is broken


class WorkerCrashed(RuntimeError):
    """The process or actor running a job went away without an answer (killed, out of memory, a crash in C)."""


def _reraise(error: BaseException | None, kind: str, message: str, trace: str) -> None:
    """Raise the worker's exception in the job's thread (its own type when it came back), its traceback logged."""
    log.error("worker traceback:\n%s", trace)
    if isinstance(error, BaseException):
        raise error
    raise RuntimeError(f"{kind}: {message}")  # an exception that could not be pickled: its type and message


class Executor(Protocol):
    """Where a job's work runs: run(fn, arg, ctx) returns fn(arg, ctx) computed there; shutdown() stops its workers."""

    name: str

    def run(self, fn: Callable[[Any, Any], Any], arg: Any, ctx) -> Any: ...

    def shutdown(self) -> None: ...


class ThreadExecutor:
    """fn(arg, ctx) in the calling thread."""

    name = "thread"

    def run(self, fn: Callable[[Any, Any], Any], arg: Any, ctx) -> Any:
        return fn(arg, ctx)

    def shutdown(self) -> None:
        pass


# ---------------------------------------------------------------------------------------------- worker processes
def _worker_environment() -> dict[str, str]:
    """The worker's environment: this one, with this process's import path, so the worker finds aelab (and the
    module of any function it is sent) where this process found them, installed or in a source checkout."""
    paths = [os.path.abspath(p or os.curdir) for p in sys.path]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}


class _Worker:
    """One worker process (aelab.runtime.worker) and the server's end of its socket."""

    def __init__(self, threads: int, niceness: int, preload: tuple[str, ...]):
        ours, theirs = socket.socketpair()
        self.conn = Connection(ours.detach())
        nice = (os.getpriority(os.PRIO_PROCESS, 0) if hasattr(os, "getpriority") else 0) + niceness  # the server's
        fd = theirs.fileno()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aelab.runtime.worker", str(fd), str(threads), str(nice), *preload],
            pass_fds=(fd,), env=_worker_environment(), stdin=subprocess.DEVNULL)
        theirs.close()
        self.ready = False

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, message: Any) -> None:
        self.conn.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def receive(self, timeout: float) -> tuple | None:
        """The next message, None if none came within timeout; WorkerCrashed if the process is gone."""
        if self.conn.poll(timeout):
            try:
                return pickle.loads(self.conn.recv_bytes())
            except (EOFError, OSError):
                pass
        elif self.alive():
            return None
        try:
            code = self.process.wait(1.0)
        except subprocess.TimeoutExpired:
            code = None
        raise WorkerCrashed(f"The training worker process stopped unexpectedly (exit code {code}).")

    def wait_ready(self, ctx) -> None:
        """Until the worker has imported its modules; the job says so if that takes a while (a worker just started)."""
        deadline, said = time.time() + READY_TIMEOUT_S, False
        while not self.ready:
            if not said and not self.conn.poll(0):
                ctx.report(phase="starting a worker process")
                said = True
            message = self.receive(POLL_S)
            if message is not None and message[0] == "ready":
                self.ready = True
            elif time.time() > deadline:
                raise WorkerCrashed(f"The worker process did not start within {READY_TIMEOUT_S:.0f} s.")

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        try:
            self.process.wait(5.0)
        except subprocess.TimeoutExpired:
            pass
        self.conn.close()

    def close(self) -> None:
        if not self.ready and not self.conn.poll(0):  # still importing: nothing to finish
            self.kill()
            return
        try:
            self.send(None)
            self.process.wait(2.0)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


class ProcessExecutor:
    """A pool of warm worker processes: `warm` started at once, more on demand (one per job running at once)."""

    name = "process"

    def __init__(self, warm: int = 1, threads: int | None = None, niceness: int = 10,
                 preload: tuple[str, ...] = ()):
        self.warm, self.niceness, self.preload = max(0, warm), niceness, tuple(preload)
        self.threads = threads or max(1, (os.cpu_count() or 2) // 2)
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(self.warm):
            self._idle.append(self._new_worker())

    def _new_worker(self) -> _Worker:
        return _Worker(self.threads, self.niceness, self.preload)

    def _acquire(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise RuntimeError("The worker pool has been shut down.")
            while self._idle:
                worker = self._idle.pop(0)
                if worker.alive():
                    return worker
                worker.kill()
        return self._new_worker()

    def _release(self, worker: _Worker | None) -> None:
        """Back to the pool if healthy; a dead or killed worker is replaced so the pool stays warm."""
        with self._lock:
            if self._closed:
                if worker is not None:
                    worker.close()
                return
            if worker is not None and worker.alive() and len(self._idle) < self.warm:
                self._idle.append(worker)
                return
            if worker is not None:
                worker.close() if worker.alive() else worker.kill()
            if len(self._idle) < self.warm:
                self._idle.append(self._new_worker())

    def run(self, fn: Callable[[Any, Any], Any], arg: Any, ctx) -> Any:
        worker = self._acquire()
        try:
            worker.wait_ready(ctx)
            worker.send(("task", fn, arg))
            return _relay(worker, ctx)
        except (WorkerCrashed, JobCancelled, OSError):  # dead, or deaf to a stop: replaced by a fresh one
            worker.kill()
            worker = None
            raise
        finally:  # fn's own exceptions leave the worker ready for the next job
            self._release(worker)

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()


def _relay(worker: _Worker, ctx) -> Any:
    """Pass the worker's reports to ctx and stop requests to the worker until it answers with a result."""
    asked_to_stop = None
    while True:
        if asked_to_stop is None and ctx.should_stop():
            worker.send(("stop",))
            asked_to_stop = time.time()
        if asked_to_stop is not None and time.time() - asked_to_stop > STOP_GRACE_S:
            raise JobCancelled()  # the caller kills the worker
        message = worker.receive(POLL_S)
        if message is None:
            continue
        if _deliver(message, ctx):
            return message[1]


def _deliver(message: tuple, ctx) -> bool:
    """Apply one message to ctx; True when it was the final result (an error is raised here)."""
    kind = message[0]
    if kind == "report":
        ctx.report(**message[1])
    elif kind == "append":
        ctx.append(message[1], message[2])
    elif kind == "error":
        _reraise(*message[1:])
    return kind == "done"


# ---------------------------------------------------------------------------------------------------------- Ray
def ray_address() -> str | None:
    return os.environ.get("AELAB_RAY_ADDRESS") or None


class RayExecutor:
    """fn(arg, ctx) in a Ray actor; reports are drained from it every POLL_S, a stop is an actor call.

    Connects on first use: to AELAB_RAY_ADDRESS (e.g. ray://head:10001) with aelab's own code shipped to the
    cluster (runtime_env py_modules), unless this process has already called ray.init (the tests do)."""

    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: float = 1.0, threads: int | None = None,
                 warm: int = 1):
        self.address, self.num_cpus, self.warm = address or ray_address(), num_cpus, warm
        self.threads = threads or max(1, int(num_cpus))
        self._lock = threading.Lock()
        self._idle: list = []  # actors whose last job ended cleanly: the next job skips their start-up

    def _ray(self):
        import ray

        with self._lock:
            if not ray.is_initialized():
                import aelab

                ray.init(address=self.address, log_to_driver=False,
                         runtime_env={"py_modules": [os.path.dirname(aelab.__file__)]})
        return ray

    def run(self, fn: Callable[[Any, Any], Any], arg: Any, ctx) -> Any:
        ray = self._ray()
        actor = self._acquire(ray)
        try:
            # the argument (a request: its images, a few MB) goes to the object store once, not inline in the call
            result = _poll_actor(ray, actor, actor.run.remote(fn, ray.put(arg)), ctx)
        except (WorkerCrashed, JobCancelled):
            ray.kill(actor)
            raise
        except BaseException:
            self._release(ray, actor)
            raise
        self._release(ray, actor)
        return result

    def _acquire(self, ray):
        with self._lock:
            if self._idle:
                return self._idle.pop()
        from aelab.runtime.ray_actor import actor_class

        gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0  # the cluster has GPUs: take one per job
        return actor_class().options(num_cpus=self.num_cpus, num_gpus=gpus).remote(self.threads)

    def _release(self, ray, actor) -> None:
        with self._lock:
            if len(self._idle) < self.warm:
                self._idle.append(actor)
                return
        ray.kill(actor)

    def shutdown(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        if idle:
            import ray

            for actor in idle:
                ray.kill(actor)


def _poll_actor(ray, actor, result_ref, ctx) -> Any:
    asked_to_stop = None
    while True:
        if asked_to_stop is None and ctx.should_stop():
            actor.stop.remote()
            asked_to_stop = time.time()
        if asked_to_stop is not None and time.time() - asked_to_stop > STOP_GRACE_S:
            raise JobCancelled()  # the caller kills the actor
        done, _ = ray.wait([result_ref], timeout=POLL_S)
        try:
            for message in ray.get(actor.drain.remote()):
                _deliver(message, ctx)
            if done:
                return _deliver_result(ray.get(result_ref), ctx)
        except ray.exceptions.RayActorError as err:
            raise WorkerCrashed(f"The Ray actor running the training died: {err}") from None


def _deliver_result(message: tuple, ctx) -> Any:
    _deliver(message, ctx)
    return message[1]


# ------------------------------------------------------------------------------------------------------ choosing
def backend_name(name: str | None = None) -> str:
    """The backend asked for: name, else AELAB_TRAINING_BACKEND, else ray when AELAB_RAY_ADDRESS is set, else
    process (thread where a worker cannot be handed its socket: not POSIX). An unknown name is an error that lists
    the valid ones."""
    from aelab.errors import ConfigError

    local = "process" if os.name == "posix" else "thread"  # (subprocess's pass_fds is POSIX only)
    chosen = name or os.environ.get("AELAB_TRAINING_BACKEND") or ("ray" if ray_address() else local)
    if chosen not in BACKENDS:
        raise ConfigError(f"Unknown training backend {chosen!r}; valid: {', '.join(BACKENDS)}.")
    return chosen


def make_executor(name: str | None = None, *, warm: int = 1, threads: int | None = None, niceness: int = 10,
                  preload: tuple[str, ...] = ()) -> Executor:
    chosen = backend_name(name)
    if chosen == "process":
        return ProcessExecutor(warm=warm, threads=threads, niceness=niceness, preload=preload)
    if chosen == "ray":
        return RayExecutor(threads=threads)
    return ThreadExecutor()
