"""The Ray actor that runs one job's function on a cluster and buffers its reports until the server drains them.

Imported only by RayExecutor, after Ray itself: nothing else in aelab needs Ray. The actor is threaded
(max_concurrency), so drain() and stop() are served while run() computes.
"""
from __future__ import annotations

import functools
import pickle
import threading
import traceback
from typing import Any

from aelab.runtime.jobs import JobCancelled


class _BufferContext:
    """The JobContext the function sees in the actor: reports are kept in order until drained."""

    def __init__(self, messages: list, lock: threading.Lock, stop: threading.Event):
        self._messages, self._lock, self._stop = messages, lock, stop

    def report(self, **fields: Any) -> None:
        with self._lock:
            self._messages.append(("report", fields))

    def append(self, key: str, item: Any) -> None:
        with self._lock:
            self._messages.append(("append", key, item))

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def check_cancel(self) -> None:
        if self.should_stop():
            raise JobCancelled()


class JobActor:
    def __init__(self, threads: int):
        import torch

        torch.set_num_threads(max(1, threads))
        self._messages: list = []
        self._lock, self._stop = threading.Lock(), threading.Event()

    def run(self, fn, arg) -> tuple:
        """("done", result) or ("error", exception or None, type name, message, traceback): a message, as a worker
        process answers, so the server handles both alike."""
        self._stop.clear()  # a reused actor: the last job's stop is not this one's
        try:
            return "done", fn(arg, _BufferContext(self._messages, self._lock, self._stop))
        except BaseException as err:  # noqa: B036 -- it goes back to the job
            return "error", _picklable(err), type(err).__name__, str(err), traceback.format_exc()

    def drain(self) -> list:
        with self._lock:
            messages, self._messages[:] = list(self._messages), []
        return messages

    def stop(self) -> None:
        self._stop.set()


def _picklable(err: BaseException) -> BaseException | None:
    """err if it survives pickling (the server raises it as it is), else None (its name and message go back)."""
    try:
        pickle.loads(pickle.dumps(err))
    except Exception:
        return None
    return err


@functools.cache
def actor_class():
    """JobActor as a Ray actor class (made once per process)."""
    import ray

    return ray.remote(max_concurrency=4)(JobActor)
