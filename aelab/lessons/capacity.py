"""The Lessons page's shipped results rebuilt in one go: the bottleneck sweep, the copy demo's four models and the
rate-distortion sweep (`python -m aelab build-lessons` writes them to pretrained/_lessons/)."""
from __future__ import annotations

import time
from pathlib import Path

from aelab.data.sources import Dataset
from aelab.lessons.bottleneck import bottleneck_sweep, save_sweep
from aelab.lessons.copying import copy_scores, digit_area, noise_images, run_copy_trainers, save_copy_models
from aelab.lessons.paths import LESSONS_ROOT, ProgressCallback
from aelab.lessons.rate import build_sweep as build_rate_sweep
from aelab.lessons.rate import save_sweep as save_rate_sweep


def build_lessons(dataset: Dataset, root: str | Path = LESSONS_ROOT, on_progress: ProgressCallback | None = None,
                  parts: tuple[str, ...] = ("sweep", "copy", "rate")) -> dict:
    """Recompute the shipped lesson results for dataset: the bottleneck sweep, the four copy-demo models and/or the
    rate-distortion sweep (each part's progress fills the bar in turn)."""
    report = on_progress or (lambda fraction, text: None)
    summary: dict = {}
    if "rate" in parts:  # last: the other parts first, each with its share of the bar
        others = tuple(p for p in parts if p != "rate")
        share = len(others) / len(parts)
        if others:
            summary.update(build_lessons(dataset, root, lambda f, t: report(share * f, t), others))
        rate = build_rate_sweep(dataset, lambda f, t: report(share + (1 - share) * f, "rate sweep: " + t))
        save_rate_sweep(rate, root)
        return summary | {"rate": rate.points, "rate_seconds": rate.seconds}
    share = 0.8 if "copy" in parts else 1.0
    if "sweep" in parts:
        sweep = bottleneck_sweep(dataset, on_progress=lambda f, t: report(share * f, "sweep: " + t))
        save_sweep(sweep, root)
        summary.update(sizes=sweep.sizes, sweep_seconds=sweep.seconds, sweep=sweep.test_mse)
    if "copy" in parts:
        started, base = time.perf_counter(), share if "sweep" in parts else 0.0
        trainers = run_copy_trainers(dataset.x_train, lambda f, t: report(base + (1 - base) * f, "copy demo: " + t),
                                      lambda: False)
        models = {name: trainer.model for name, trainer in trainers.items()}
        save_copy_models(models, dataset.name, len(dataset.x_train), Path(root) / "models",
                         {name: trainer.history for name, trainer in trainers.items()})
        noise = noise_images(digit_area(dataset.x_train), 200)
        summary.update(copy_seconds=time.perf_counter() - started,
                       copy=copy_scores(models, dataset.x_test[:200], noise))
    return summary
