"""Where a job's heavy work runs: in the calling thread, in a warm worker process at a lower priority, or on Ray.

An executor runs fn(arg, ctx) somewhere and returns its result in the calling thread, which is a JobManager job's
thread: the job contract (JobContext.report / append / should_stop, the return value, the exception) is kept, only
the computing moves. fn must be a module-level function (sent by reference) and arg picklable; what fn reports
through its context is relayed to the job's real context as it happens, and a stop asked of the job is passed on.

- ThreadExecutor: fn runs right here (what every job did before; quick jobs keep doing it).
- ProcessExecutor: a pool of warm worker processes (spawned, never forked from a threaded server), each having
  imported torch and the preloaded modules once, at a lower priority (os.nice) with its own torch thread count: the
  server's threads no longer share the GIL with a training, and the kernel gives the users' requests a core first.
  A worker that dies (a crash, a kill) fails the job with a message and is replaced; one that ignores a stop for
  STOP_GRACE_S is killed.
- RayExecutor: fn runs in a Ray actor (one per job, a GPU asked for when the cluster has one); the job's thread polls
  the actor for reports. Ray is imported only here, only when used (aelab imports without it).
"""
from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import pickle
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aelab.runtime.jobs import JobCancelled

log = logging.getLogger(__name__)
BACKENDS = ("thread", "process", "ray")
POLL_S = 0.1  # how often a job's thread looks for reports and stop requests: a stop reaches the worker within this
STOP_GRACE_S = 10.0  # a worker that has not stopped this long after being asked is killed (the job ends cancelled)
READY_TIMEOUT_S = 120.0  # a worker that has not imported its modules in this time is broken


class WorkerCrashed(RuntimeError):
    """The process or actor running a job went away without an answer (killed, out of memory, a crash in C)."""


def _nice_to(target: int) -> None:
    """Raise this process's nice value to target (it may have inherited more from a lowered job thread)."""
    if hasattr(os, "nice"):
        try:
            os.nice(max(0, min(19, target) - os.getpriority(os.PRIO_PROCESS, 0)))
        except OSError:
            pass


def _own_scheduling_group(target: int) -> None:
    """Put this worker in a scheduling group of its own at nice target. Linux's autogroup (on by default on desktops
    and here: /proc/sys/kernel/sched_autogroup_enabled) shares the CPU between sessions first and applies nice
    values only inside a session, so a niced worker in the server's session still took its session's share from
    a student's browser (bench/latent_under_training.py: the Latent page 1.83x slower during a training). A session
    of its own (setsid) whose group is niced (/proc/self/autogroup) yields to everything else on the machine. Where
    there is no autogroup, the per-process nice of _nice_to is all there is, and it is enough."""
    try:
        if Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() != "1":
            return
        if not os.access("/proc/self/autogroup", os.W_OK):
            return  # a group of its own at nice 0 would rank the worker level with the server: worse than staying
        os.setsid()
        Path("/proc/self/autogroup").write_text(str(max(0, min(19, target))))
    except (OSError, AttributeError):
        pass  # another platform, a container without it, or not allowed: the process's own nice stays


def _set_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(max(1, threads))


def _reraise(error: BaseException | None, kind: str, message: str, trace: str) -> None:
    """Raise the worker's exception in the job's thread (its own type when it came back), its traceback logged."""
    log.error("worker traceback:\n%s", trace)
    if isinstance(error, BaseException):
        raise error
    raise RuntimeError(f"{kind}: {message}")  # an exception that could not be pickled: its type and message


class ThreadExecutor:
    """fn(arg, ctx) in the calling thread."""

    name = "thread"

    def run(self, fn: Callable[[Any, Any], Any], arg: Any, ctx) -> Any:
        return fn(arg, ctx)

    def shutdown(self) -> None:
        pass


# ---------------------------------------------------------------------------------------------- worker processes
class _PipeContext:
    """The JobContext a function sees inside a worker process: reports go up the pipe, stops come from an Event."""

    def __init__(self, send: Callable[[tuple], None], stop: Any):
        self._send, self._stop = send, stop

    def report(self, **fields: Any) -> None:
        self._send(("report", fields))

    def append(self, key: str, item: Any) -> None:
        self._send(("append", key, item))

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def check_cancel(self) -> None:
        if self.should_stop():
            raise JobCancelled()


def _worker_main(conn, stop, threads: int, nice: int, preload: tuple[str, ...]) -> None:
    """A worker process's life: lower its priority, import once, then run one task after another until told to stop.
    Messages are pickled with the standard pickler (tensors by value), never torch's shared-memory reductions."""
    _nice_to(nice)
    if nice > 0:
        _own_scheduling_group(nice)
    _set_threads(threads)
    for module in preload:
        importlib.import_module(module)
    lock = threading.Lock()

    def send(message: tuple) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        with lock:
            conn.send_bytes(data)

    send(("ready", os.getpid()))
    while True:
        try:
            task = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        if task is None:
            return
        fn, arg = task
        try:
            send(("done", fn(arg, _PipeContext(send, stop))))
        except BaseException as err:  # noqa: B036 -- everything goes back to the job; the worker lives on
            trace = traceback.format_exc()
            try:
                send(("error", err, type(err).__name__, str(err), trace))
            except Exception:  # an exception that does not pickle: its name and message
                send(("error", None, type(err).__name__, str(err), trace))


class _Worker:
    """One worker process and the server's end of its pipe."""

    def __init__(self, mp, threads: int, niceness: int, preload: tuple[str, ...]):
        self.conn, child = mp.Pipe(duplex=True)
        self.stop = mp.Event()
        nice = (os.getpriority(os.PRIO_PROCESS, 0) if hasattr(os, "getpriority") else 0) + niceness  # the server's
        self.process = mp.Process(target=_worker_main, args=(child, self.stop, threads, nice, preload),
                                  name="aelab-worker", daemon=True)
        self.process.start()
        child.close()
        self.ready = False

    def receive(self, timeout: float) -> tuple | None:
        """The next message, None if none came within timeout; WorkerCrashed if the process is gone."""
        if self.conn.poll(timeout):
            try:
                return pickle.loads(self.conn.recv_bytes())
            except (EOFError, OSError):
                pass
        elif self.process.is_alive():
            return None
        self.process.join(1.0)
        raise WorkerCrashed(f"The training worker process stopped unexpectedly (exit code {self.process.exitcode}).")

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
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5.0)
        self.conn.close()

    def close(self) -> None:
        if not self.ready and not self.conn.poll(0):  # still importing: nothing to finish
            self.kill()
            return
        try:
            self.conn.send_bytes(pickle.dumps(None))
        except OSError:
            pass
        self.process.join(2.0)
        self.kill()


class ProcessExecutor:
    """A pool of warm worker processes: `warm` started at once, more on demand (one per job running at once)."""

    name = "process"

    def __init__(self, warm: int = 1, threads: int | None = None, niceness: int = 10,
                 preload: tuple[str, ...] = (), start_method: str = "spawn"):
        self.warm, self.niceness, self.preload = max(0, warm), niceness, tuple(preload)
        self.threads = threads or max(1, (os.cpu_count() or 2) // 2)
        self._mp = multiprocessing.get_context(start_method)
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(self.warm):
            self._idle.append(self._new_worker())

    def _new_worker(self) -> _Worker:
        return _Worker(self._mp, self.threads, self.niceness, self.preload)

    def _acquire(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise RuntimeError("The worker pool has been shut down.")
            while self._idle:
                worker = self._idle.pop(0)
                if worker.process.is_alive():
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
            if worker is not None and worker.process.is_alive() and len(self._idle) < self.warm:
                self._idle.append(worker)
                return
            if worker is not None:
                worker.close() if worker.process.is_alive() else worker.kill()
            if len(self._idle) < self.warm:
                self._idle.append(self._new_worker())

    def run(self, fn: Callable[[Any, Any], Any], arg: Any, ctx) -> Any:
        worker = self._acquire()
        try:
            worker.wait_ready(ctx)
            worker.stop.clear()
            worker.conn.send_bytes(pickle.dumps((fn, arg), protocol=pickle.HIGHEST_PROTOCOL))
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
            worker.stop.set()
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
    process. An unknown name is an error that lists the valid ones."""
    from aelab.errors import ConfigError

    chosen = name or os.environ.get("AELAB_TRAINING_BACKEND") or ("ray" if ray_address() else "process")
    if chosen not in BACKENDS:
        raise ConfigError(f"Unknown training backend {chosen!r}; valid: {', '.join(BACKENDS)}.")
    return chosen


def make_executor(name: str | None = None, *, warm: int = 1, threads: int | None = None, niceness: int = 10,
                  preload: tuple[str, ...] = ()) -> ThreadExecutor | ProcessExecutor | RayExecutor:
    chosen = backend_name(name)
    if chosen == "process":
        return ProcessExecutor(warm=warm, threads=threads, niceness=niceness, preload=preload)
    if chosen == "ray":
        return RayExecutor(threads=threads)
    return ThreadExecutor()
