"""A training job whose compute runs in a worker (a local process or a Ray actor) and whose model is saved here.

The request goes to the worker whole, except its save_name: a worker never writes the library (it may be another
machine), so the server saves. The outcome comes back whole, except its model, which travels as a state dict with
its training flag and is rebuilt from the outcome's config: every other field (and any field added later) travels
without this module knowing it. What the worker reports reaches the job's context as it happens (the executor
relays it), so the Train page sees the same state keys, whichever backend ran the training.
"""
from __future__ import annotations

import atexit
import dataclasses
import functools
import os
import threading
from collections.abc import Callable

import torch

from aelab.models.autoencoder import create_model
from aelab.runtime.executors import ThreadExecutor, backend_name, make_executor
from aelab.runtime.jobs import JobContext
from aelab.train.job import TrainingOutcome, TrainingRequest, run_training, save_outcome

PRELOAD = ("aelab.train.remote",)  # what a warm worker imports before its first job (torch, the trainer, ...)
_shared: dict[str, object] = {}
_shared_lock = threading.Lock()


@dataclasses.dataclass
class PortableModel:
    """A model's weights on the CPU and whether it was in training mode: what crosses from worker to server."""

    state: dict[str, torch.Tensor]
    training: bool


def training_executor(name: str | None = None, warm: int = 1, niceness: int | None = None):
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


def training_work(request: TrainingRequest, executor=None) -> Callable[[JobContext], TrainingOutcome]:
    """The work function to submit to a JobManager for request: run_training itself on the thread backend, else
    the training on executor (default: the shared executor of the configured backend)."""
    executor = executor or training_executor()
    if isinstance(executor, ThreadExecutor):
        return functools.partial(run_training, request)
    return functools.partial(run_training_on, executor, request)


def run_training_on(executor, request: TrainingRequest, ctx: JobContext) -> TrainingOutcome:
    """run_training on executor's worker, then the model rebuilt and saved here."""
    outcome = executor.run(train_detached, dataclasses.replace(request, save_name=None), ctx)
    outcome.model = rebuild_model(outcome)
    outcome.name = request.save_name or ""
    return save_outcome(outcome, request)


def train_detached(request: TrainingRequest, ctx) -> TrainingOutcome:
    """What the worker runs: run_training (it saves nothing: no save_name), its model made portable."""
    outcome = run_training(request, ctx)
    model = outcome.model
    outcome.model = PortableModel({k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
                                  model.training)
    if outcome.extra.get("umap") is not None:  # the map's coordinates travel; its fitted UMAP object (numba, a
        # neighbour graph: heavy to pickle) stays here, and the page places a drawn digit by its nearest codes instead
        outcome.extra["umap"] = dataclasses.replace(outcome.extra["umap"], reducer=None)
    return outcome


def rebuild_model(outcome: TrainingOutcome) -> torch.nn.Module:
    """The live model of a portable outcome: built from its config, then its weights loaded strictly."""
    portable: PortableModel = outcome.model
    model = create_model(outcome.model_config, outcome.train_config.seed if outcome.train_config else 0)
    model.load_state_dict(portable.state, strict=True)
    return model.train(portable.training)
