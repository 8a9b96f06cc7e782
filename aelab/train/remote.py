"""A training's round trip, one level: the request goes to an executor (this thread, a warm worker process, a Ray
actor: aelab.runtime.executors), the typed outcome comes back and is saved here, where the library is.

Nothing here knows which executor it has: what crosses a process boundary is pickled, and the outcome sends its
model as weights (aelab.train.job.TrainingOutcome). What the training reports reaches the job's context as it
happens (the executor relays it), so the Train page sees the same state keys, whichever backend ran it.
"""
from __future__ import annotations

import atexit
import dataclasses
import functools
import os
import threading
from collections.abc import Callable

from aelab.runtime.executors import Executor, backend_name, make_executor
from aelab.runtime.jobs import JobContext
from aelab.train.job import TrainingOutcome, TrainingRequest, run_training, save_outcome

PRELOAD = ("aelab.train.remote",)  # what a warm worker imports before its first job (torch, the trainer, ...)
_shared: dict[str, Executor] = {}
_shared_lock = threading.Lock()


def training_executor(name: str | None = None, warm: int = 1, niceness: int | None = None) -> Executor:
    """The process's executor for trainings on backend name (default: backend_name()), made on first use and
    shared: a worker pool is started once per server, `warm` workers at once (the first job needs no start-up)."""
    chosen = backend_name(name)
    with _shared_lock:
        if chosen not in _shared:
            nice = int(os.environ.get("AELAB_JOB_NICENESS", "10")) if niceness is None else niceness
            threads = int(os.environ.get("AELAB_WORKER_THREADS", "0")) or None
            _shared[chosen] = make_executor(chosen, warm=warm, threads=threads, niceness=nice, preload=PRELOAD)
        return _shared[chosen]


def shutdown_executors() -> None:
    """Stop every shared executor's workers (the end of the server process)."""
    with _shared_lock:
        executors = list(_shared.values())
        _shared.clear()
    for executor in executors:
        executor.shutdown()


# Registered before any JobManager's own exit hook (hooks run last-registered first): running jobs are cancelled
# and answered before their workers are stopped.
atexit.register(shutdown_executors)


def training_work(request: TrainingRequest,
                  executor: Executor | None = None) -> Callable[[JobContext], TrainingOutcome]:
    """The work function to submit to a JobManager for request, trained on executor (default: the shared executor
    of the configured backend)."""
    return functools.partial(train_on, executor or training_executor(), request)


def train_on(executor: Executor, request: TrainingRequest, ctx: JobContext) -> TrainingOutcome:
    """run_training on executor (the map's images stay here: the training never reads them), then saved here."""
    outcome = executor.run(run_training, dataclasses.replace(request, map_x=None), ctx)
    return save_outcome(outcome, request)
