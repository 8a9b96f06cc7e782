"""Warm up UMAP in the background, so the first projection a user asks for does not pay numba's compilation.

umap-learn compiles its numba kernels on the first fit of each process: ~20-25 s here before a 1000-point fit that
then takes ~2 s. A tiny fit on random data in a daemon thread, started when the server starts, pays that while the
user is still looking at the first page. The thread lowers its own scheduling priority (Linux: a thread has its
own nice value) so the server's own work comes first on a machine with few cores.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Warmup:
    """The state of a background warm-up; read it from any thread (fields are set once each, under the lock)."""

    name: str
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    error: str | None = None
    thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def done(self) -> bool:
        with self._lock:
            return self.finished is not None

    @property
    def seconds(self) -> float:
        """How long it took, or has been running so far."""
        with self._lock:
            return (self.finished or time.perf_counter()) - self.started

    def describe(self) -> str:
        if not self.done:
            return f"{self.name} is warming up in the background ({self.seconds:.0f} s so far)"
        if self.error:
            return f"{self.name} warm-up failed ({self.error}); the first fit will compile instead"
        return f"{self.name} is warm (compiled in {self.seconds:.0f} s at server start)"


def tiny_umap_fit(n_points: int = 256, dims: int = 8, seed: int = 0) -> None:
    """Fit and transform UMAP on n_points random float32 codes: compiles the kernels a real fit and a new point's
    transform use (the data types match the page's: float32 codes, 2 output dimensions)."""
    import numpy as np
    import umap

    data = np.random.default_rng(seed).normal(size=(n_points, dims)).astype(np.float32)
    reducer = umap.UMAP(n_neighbors=10, min_dist=0.1, n_epochs=30, random_state=seed, n_jobs=1).fit(data)
    reducer.transform(data[:4])


def _lower_priority(niceness: int) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)  # this thread only, on Linux
    except (AttributeError, OSError):
        pass  # another platform, or not allowed: run at normal priority


def start_warmup(name: str = "UMAP", task: Callable[[], None] = tiny_umap_fit, niceness: int = 10) -> Warmup:
    """Run task in a daemon thread (it never blocks shutdown) and return its Warmup at once."""
    state = Warmup(name)

    def run() -> None:
        _lower_priority(niceness)
        error = None
        try:
            task()
        except Exception as err:  # a warm-up failure must never take the server down; the real fit will report
            error = f"{type(err).__name__}: {err}"
        with state._lock:
            state.error, state.finished = error, time.perf_counter()

    state.thread = threading.Thread(target=run, name=f"aelab-warmup-{name}", daemon=True)
    state.thread.start()
    return state
