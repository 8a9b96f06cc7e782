"""Inside a worker process (aelab.runtime.executors.ProcessExecutor): lower its priority, import once, then run one
task after another, reports going up the socket it was given and stop requests coming down it.

Started as `python -m aelab.runtime.worker FD THREADS NICE MODULE...`, never by multiprocessing's spawn: spawn re-runs
the parent's main script in the child, and in a Streamlit server that script is app.py, so every worker imported
Streamlit and the whole UI and ran the app's first page without a session (117 "missing ScriptRunContext" lines
in the server's log on its first training). Started like this, a worker imports aelab and what its tasks need.

Messages are pickled with the standard pickler (tensors by value), never torch's shared-memory reductions:
  down: ("task", fn, arg) | ("stop",) | None (exit);  up: ("ready", pid) | ("report", fields) |
  ("append", key, item) | ("done", result) | ("error", exception or None, type name, message, traceback).
"""
from __future__ import annotations

import importlib
import os
import pickle
import queue
import sys
import threading
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aelab.runtime.jobs import JobCancelled
from aelab.runtime.numba_cache import use_numba_disk_cache


class _PipeContext:
    """The JobContext a function sees inside a worker process: reports go up the socket, stops come down it."""

    def __init__(self, send, stop: threading.Event):
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


def nice_to(target: int) -> None:
    """Raise this process's nice value to target (it may have inherited more from a lowered job thread)."""
    if hasattr(os, "nice"):
        try:
            os.nice(max(0, min(19, target) - os.getpriority(os.PRIO_PROCESS, 0)))
        except OSError:
            pass


def own_scheduling_group(target: int) -> None:
    """Put this worker in a scheduling group of its own at nice target. Linux's autogroup (on by default on desktops
    and here: /proc/sys/kernel/sched_autogroup_enabled) shares the CPU between sessions first and applies nice
    values only inside a session, so a niced worker in the server's session still took its session's share from
    a student's browser (bench/latent_under_training.py: the Latent page 1.83x slower during a training). A session
    of its own (setsid) whose group is niced (/proc/self/autogroup) yields to everything else on the machine. Where
    there is no autogroup, the per-process nice of nice_to is all there is, and it is enough."""
    try:
        if Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() != "1":
            return
        if not os.access("/proc/self/autogroup", os.W_OK):
            return  # a group of its own at nice 0 would rank the worker level with the server: worse than staying
        os.setsid()
        Path("/proc/self/autogroup").write_text(str(max(0, min(19, target))))
    except (OSError, AttributeError):
        pass  # another platform, a container without it, or not allowed: the process's own nice stays


def _read_commands(conn: Connection, tasks: queue.Queue, stop: threading.Event) -> None:
    """The socket's reader: tasks queue up for the main thread; a stop is flagged at once, even mid-task. A task
    clears the flag first: a stop that arrives after its task ended (it crossed the answer) is not the next one's."""
    while True:
        try:
            message = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            message = None  # the server went away: finish
        if message is not None and message[0] == "stop":
            stop.set()
            continue
        if message is not None:
            stop.clear()
        tasks.put(message)
        if message is None:
            return


def serve(conn: Connection, threads: int, nice: int, preload: tuple[str, ...]) -> None:
    """A worker process's life: lower its priority, import once, then run tasks until told to stop."""
    nice_to(nice)
    if nice > 0:
        own_scheduling_group(nice)
    use_numba_disk_cache()  # before anything imports numba (a task that maps codes with UMAP)
    import torch

    torch.set_num_threads(max(1, threads))
    for module in preload:
        importlib.import_module(module)
    lock, stop, tasks = threading.Lock(), threading.Event(), queue.Queue()

    def send(message: tuple) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        with lock:
            conn.send_bytes(data)

    threading.Thread(target=_read_commands, args=(conn, tasks, stop), name="aelab-worker-reader",
                     daemon=True).start()
    send(("ready", os.getpid()))
    while (task := tasks.get()) is not None:
        _, fn, arg = task
        try:
            send(("done", fn(arg, _PipeContext(send, stop))))
        except BaseException as err:  # noqa: B036 -- everything goes back to the job; the worker lives on
            trace = traceback.format_exc()
            try:
                send(("error", err, type(err).__name__, str(err), trace))
            except Exception:  # an exception that does not pickle: its name and message
                send(("error", None, type(err).__name__, str(err), trace))


if __name__ == "__main__":
    fd, threads, nice = (int(value) for value in sys.argv[1:4])
    serve(Connection(fd), threads, nice, tuple(sys.argv[4:]))
