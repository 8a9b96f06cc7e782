"""Lessons, "Bottleneck size": test error against code size for PCA, a linear AE, an MLP AE and a conv AE.

The sweep trains each method at each code size on the train split and scores it on the test split; the result for
the bundled sources ships in pretrained/_lessons/ (rebuilt by `python -m aelab build-lessons`).
"""
from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from aelab.analysis.images import to_uint8
from aelab.analysis.latent import reconstruct
from aelab.data.sources import Dataset
from aelab.lessons.basics import epochs_for_steps, fit_pca, truncate_pca
from aelab.lessons.paths import LESSONS_ROOT, ProgressCallback, safe_name
from aelab.models.autoencoder import create_model
from aelab.models.variants import make_configs
from aelab.train.evaluation import evaluate
from aelab.train.trainer import Trainer

SIZES = (2, 4, 8, 16, 32, 64, 128)
N_EXAMPLES = 8


@dataclass(frozen=True)
class SweepMethod:
    name: str
    label: str
    variant: str
    steps: int = 0  # training steps (0 for PCA, fitted in closed form); epochs follow from the dataset's size
    train: dict = field(default_factory=dict)
    cost: float = 1.0  # relative seconds per step at 28x28 (measured), for an even progress bar


# The budget is in steps, not epochs, so a sweep takes about as long on 1,437 8x8 digits as on 60,000 MNIST digits
# (at least one epoch each). On mnist-5k it is 30 epochs for the MLP AE, 8 for the conv AE and 40 for the linear AE:
# enough for the curves' shape; longer training lowers the autoencoders' curves. The MLP and conv AEs get 3x their
# variant's step, which at this budget lowers the test MSE at code size 16 from 0.0225 to 0.0173 (MLP) and from
# 0.0277 to 0.0178 (conv), measured on mnist-5k; the linear AE 1.5x (it then ends within 5% of PCA at every size).
SWEEP_METHODS = (
    SweepMethod("pca", "PCA", "pca", cost=0.5),
    SweepMethod("linear_ae", "linear AE", "linear_ae", 1280, {"lr": 3e-3}, cost=0.006),
    SweepMethod("mlp_ae", "MLP AE", "ae", 960, {"lr": 3e-3}, cost=0.01),
    SweepMethod("conv_ae", "conv AE", "conv_ae", 256, {"lr": 3e-3}, cost=0.12),
)
METHOD_LABELS = {m.name: m.label for m in SWEEP_METHODS}


@dataclass
class SweepResult:
    """test_mse[method][i]: per-pixel test MSE at sizes[i] (NaN where skipped). examples: (n, H, W) uint8 test
    images; reconstructions[method]: (len(sizes), n, H, W) uint8."""

    dataset: str
    sizes: list[int]
    test_mse: dict[str, list[float]]
    example_indices: list[int]
    examples: np.ndarray
    reconstructions: dict[str, np.ndarray]
    budget: dict[str, dict]
    n_train: int
    seconds: float


def example_indices(y: torch.Tensor, n: int = N_EXAMPLES) -> list[int]:
    """The first test image of each class (in class order) up to n, then the first unused ones."""
    chosen: list[int] = []
    for label in sorted(set(y.tolist()) - {-1}):
        chosen.append(int((y == label).nonzero()[0]))
    chosen = chosen[:n]
    chosen += [i for i in range(len(y)) if i not in chosen][:n - len(chosen)]
    return chosen


def sweep_sizes(image_size: tuple[int, int], sizes=SIZES) -> list[int]:
    """Code sizes below the number of pixels: a code as large as the image lets PCA and the linear AE copy it
    exactly (on 8x8 digits PCA's error at 64 is 3e-15, which flattens a log-scale plot), so it teaches nothing."""
    return [s for s in sizes if s < image_size[0] * image_size[1]]


def epochs_for(method: SweepMethod, n_train: int) -> int:
    """Epochs that make about method.steps training steps on n_train images (at least one)."""
    return epochs_for_steps(method.steps, n_train, make_configs(method.variant)[1].batch_size)


def _cost(method: SweepMethod, epochs: int, n_train: int) -> float:
    if not method.steps:
        return method.cost
    batch_size = make_configs(method.variant)[1].batch_size
    return method.cost * epochs * -(-n_train // min(batch_size, n_train))


def _trained_model(method: SweepMethod, size: int, epochs: int, x_train: torch.Tensor, report,
                   should_stop: Callable[[], bool], pca_cache: dict) -> nn.Module | None:
    """method at code size `size`, trained (or fitted) on x_train, on the CPU; None if stopped. PCA is fitted once
    at the largest size and truncated: its top-d components do not depend on how many more are kept."""
    if method.variant == "pca":
        if "full" not in pca_cache:
            pca_cache["full"] = fit_pca(x_train, pca_cache["largest"])
        return truncate_pca(pca_cache["full"], size)
    model_config, train_config = make_configs(method.variant, tuple(x_train.shape[2:]), {"latent_dim": size},
                                              {**method.train, "epochs": epochs})
    trainer = Trainer(create_model(model_config, train_config.seed), x_train, train_config, should_stop=should_stop)
    trainer.add_progress_callback(report).run()
    return None if trainer.cancelled or should_stop() else trainer.model.cpu().eval()


def bottleneck_sweep(dataset: Dataset, sizes=SIZES, methods=SWEEP_METHODS,
                     on_progress: ProgressCallback | None = None,
                     should_stop: Callable[[], bool] = lambda: False) -> SweepResult | None:
    """Train each method at each size on the train split and score it on the test split; None if stopped."""
    sizes = sweep_sizes(dataset.image_size, sizes)
    x_train, n = dataset.x_train, len(dataset.x_train)
    picks = example_indices(dataset.y_test)
    x_examples = dataset.x_test[picks]
    epochs = {m.name: epochs_for(m, n) for m in methods}
    total = sum(_cost(m, epochs[m.name], n) for m in methods) * len(sizes)
    done, started, pca_cache = 0.0, time.perf_counter(), {"largest": max(sizes)}
    test_mse: dict[str, list[float]] = {m.name: [] for m in methods}
    recons: dict[str, list[np.ndarray]] = {m.name: [] for m in methods}
    for method in methods:
        weight = _cost(method, epochs[method.name], n)
        for size in sizes:
            text = f"{method.label}, code size {size}"

            def report(progress, base=done, text=text, weight=weight):
                if on_progress:
                    on_progress((base + weight * progress.fraction) / total,
                                f"{text}: epoch {progress.epoch}/{progress.epochs}")

            if on_progress:
                on_progress(done / total, text)
            model = _trained_model(method, size, epochs[method.name], x_train, report, should_stop, pca_cache)
            if model is None:
                return None
            test_mse[method.name].append(evaluate(model, dataset.x_test)["mse"])
            recons[method.name].append(to_uint8(reconstruct(model, x_examples)[:, 0]))
            done += weight
    if on_progress:
        on_progress(1.0, "done")
    return SweepResult(dataset.name, list(sizes), test_mse, picks, to_uint8(x_examples[:, 0]),
                       {k: np.stack(v) for k, v in recons.items()},
                       {m.name: {"variant": m.variant, **m.train, "epochs": epochs[m.name]} for m in methods},
                       n, time.perf_counter() - started)


def sweep_paths(dataset_name: str, root: str | Path = LESSONS_ROOT) -> tuple[Path, Path]:
    stem = "bottleneck-" + safe_name(dataset_name)
    return Path(root) / f"{stem}.json", Path(root) / f"{stem}.npz"


def save_sweep(result: SweepResult, root: str | Path = LESSONS_ROOT) -> tuple[Path, Path]:
    """The numbers as JSON (readable, diffable), the pictures as a compressed .npz (no pickles)."""
    json_path, npz_path = sweep_paths(result.dataset, root)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    meta = {k: v for k, v in asdict(result).items() if k not in ("examples", "reconstructions")}
    meta["made_by"] = "python -m aelab build-lessons"
    json_path.write_text(json.dumps(meta, indent=1))
    buffer = io.BytesIO()
    pictures = {f"recon_{name}": images for name, images in result.reconstructions.items()}
    np.savez_compressed(buffer, examples=result.examples, **pictures)
    npz_path.write_bytes(buffer.getvalue())
    return json_path, npz_path


def load_sweep(dataset_name: str, root: str | Path = LESSONS_ROOT) -> SweepResult | None:
    """The shipped sweep for dataset_name, or None when there is none (or it is unreadable)."""
    json_path, npz_path = sweep_paths(dataset_name, root)
    if not (json_path.is_file() and npz_path.is_file()):
        return None
    try:
        meta = json.loads(json_path.read_text())
        with np.load(npz_path, allow_pickle=False) as arrays:
            recons = {k[len("recon_"):]: arrays[k] for k in arrays.files if k.startswith("recon_")}
            examples = arrays["examples"]
        return SweepResult(meta["dataset"], meta["sizes"], meta["test_mse"], meta["example_indices"], examples,
                           recons, meta["budget"], meta["n_train"], meta["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
