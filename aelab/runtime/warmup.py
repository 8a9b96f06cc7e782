"""Warm up UMAP in the background, so the first projection a user asks for does not pay numba's compilation.

umap-learn compiles its numba kernels on the first fit of each process: ~20-30 s here before a 1000-point fit that
then takes ~2 s. Maps of 4096 points or more use approximate neighbours (NN-descent), another ~60 s of kernels:
measured, a 5000-point first fit took 100 s cold and 4 s after both warm-up steps.

The warm-up is bounded so it never takes minutes of CPU from the people using the app: the app runs it only when
asked (AELAB_UMAP_WARMUP=1; see ui/common/warmup.py for why it is off by default), starts it when someone opens the
Latent Space page (not at server start), after a delay that lets that page settle first, for the small-map kernels
only (UMAP_WARMUP_STEPS; a first large map compiles its own), in a daemon thread at the lowest scheduling priority
(Linux: a thread has its own nice value). Shipped models and models trained here come with their default UMAP
precomputed, so most maps never need it.
"""
from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# umap-learn switches from exact to approximate nearest neighbours at this many points (umap_.py, UMAP.fit)
UMAP_EXACT_BELOW = 4096


@dataclass
class Warmup:
    """The state of a background warm-up made of named steps; safe to read from any thread."""

    name: str
    steps: tuple[str, ...]
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    error: str | None = None
    completed: list[str] = field(default_factory=list)
    thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def done(self) -> bool:
        with self._lock:
            return self.finished is not None

    def ready(self, step: str) -> bool:
        """Whether step has finished (after a failure, nothing more will be ready)."""
        with self._lock:
            return step in self.completed

    @property
    def seconds(self) -> float:
        """How long it took, or has been running so far."""
        with self._lock:
            return (self.finished or time.perf_counter()) - self.started

    def describe(self) -> str:
        with self._lock:
            completed, finished, error = list(self.completed), self.finished, self.error
        if error:
            return f"{self.name} warm-up failed ({error}): the first fit compiles instead"
        if finished is not None:
            return f"{self.name} is compiled (warmed up in {self.seconds:.0f} s at server start)"
        done = f"; ready for {', '.join(completed)}" if completed else ""
        return f"{self.name} is still compiling in the background ({self.seconds:.0f} s so far{done})"


def tiny_umap_fit(approximate: bool, n_points: int = 256, dims: int = 8, seed: int = 0) -> None:
    """Fit UMAP to n_points random float32 codes and place 4 of them again (transform): compiles the kernels of a
    real fit and of a new point's placement. approximate forces NN-descent, the neighbour search of maps of
    UMAP_EXACT_BELOW points or more. The data types match the page's: float32 codes, 2 output dimensions."""
    import numpy as np

    from aelab.runtime.numba_cache import use_numba_disk_cache

    use_numba_disk_cache()
    import umap

    data = np.random.default_rng(seed).normal(size=(n_points, dims)).astype(np.float32)
    reducer = umap.UMAP(n_neighbors=10, min_dist=0.1, n_epochs=30, random_state=seed, n_jobs=1,
                        force_approximation_algorithm=approximate).fit(data)
    reducer.transform(data[:4])


def umap_step(n_points: int) -> str:
    """The warm-up step a UMAP of n_points needs."""
    return "small maps" if n_points < UMAP_EXACT_BELOW else "large maps"


UMAP_STEPS: tuple[tuple[str, Callable[[], None]], ...] = (
    ("small maps", functools.partial(tiny_umap_fit, approximate=False)),
    ("large maps", functools.partial(tiny_umap_fit, approximate=True)),
)
# What the app's warm-up runs: ~25 s of one core at the lowest priority. The large-map kernels (~60 s more) are left
# to the first map of UMAP_EXACT_BELOW codes or more, which only a downloaded full-size dataset can ask for.
UMAP_WARMUP_STEPS = UMAP_STEPS[:1]
LOWEST_PRIORITY = 19


def _lower_priority(niceness: int) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)  # this thread only, on Linux
    except (AttributeError, OSError):
        pass  # another platform, or not allowed: run at normal priority


def start_warmup(name: str = "UMAP", steps: Sequence[tuple[str, Callable[[], None]]] = UMAP_WARMUP_STEPS,
                 niceness: int = LOWEST_PRIORITY, delay_s: float = 0.0) -> Warmup:
    """Run the steps, in order, in a daemon thread (it never blocks shutdown) at the given niceness, after waiting
    delay_s; return their Warmup at once."""
    state = Warmup(name, tuple(step for step, _ in steps))

    def run() -> None:
        _lower_priority(niceness)
        time.sleep(delay_s)
        error = None
        for step, task in steps:
            try:
                task()
            except Exception as err:  # a warm-up failure must never take the server down; the real fit will report
                error = f"{step}: {type(err).__name__}: {err}"
                break
            with state._lock:
                state.completed.append(step)
        with state._lock:
            state.error, state.finished = error, time.perf_counter()

    state.thread = threading.Thread(target=run, name=f"aelab-warmup-{name}", daemon=True)
    state.thread.start()
    return state
