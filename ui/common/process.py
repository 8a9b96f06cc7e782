"""What a server process sets up for itself, once, from app.py (nothing in ui/ changes the process when imported):
torch's thread count, applied when torch is first used (Home is drawn without importing torch), and the hooks that
stop the trainings' workers when the process ends.

Why half the cores: a class on one laptop keeps one core for the server, so sliders stay responsive while a model
trains (bench/slider_during_training.py compares the two); AELAB_TORCH_THREADS overrides it.
"""
from __future__ import annotations

import os
import sys
import threading

from ui.common import run_timing

TORCH_THREADS = int(os.environ.get("AELAB_TORCH_THREADS", "0")) or max(1, (os.cpu_count() or 2) // 2)
_lock = threading.Lock()
_torch_set_up = False


def set_up() -> None:
    """app.py, on every run (cheap after the first): torch's threads if torch is already loaded."""
    run_timing.started()  # the run's own time, when a benchmark asks for it (AELAB_RUN_LOG)
    if "torch" in sys.modules:
        torch_ready()


def torch_ready() -> None:
    """Before the first torch computation of a page (the dataset and model loaders call it): the thread count."""
    global _torch_set_up
    if _torch_set_up:
        return
    with _lock:
        if not _torch_set_up:
            import torch

            torch.set_num_threads(TORCH_THREADS)
            _torch_set_up = True
