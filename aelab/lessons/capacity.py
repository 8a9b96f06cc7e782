"""How big a code should be: the bottleneck sweep, and the over-complete autoencoder that learns to copy.

The sweep trains PCA, a linear AE, an MLP AE and a conv AE at each code size and scores them on the test split.
The copy demo trains one tied linear architecture, x_hat = W^T (W x + b) + c, four ways: with a 16-number code
(under-complete), and with a 1024-number code (over-complete: more numbers than the 784 pixels) plain, denoising
and contractive. The plain over-complete one reproduces noise it never saw, because it learned to copy; the
regularised ones cannot copy, because their objective rewards keeping only what digits use.

For the contractive AE: a linear encoder z = W x + b has the Jacobian dz/dx = W everywhere, so Rifai et al.'s
penalty lam ||dz/dx||_F^2 is lam ||W||_F^2 exactly, i.e. weight decay 2 lam on W (biases are not decayed). Training
it that way is the same objective without 1024 backward passes per step (measured: 14 s per step with
losses.contractive_penalty at this code size, against milliseconds).

`python -m aelab build-lessons` recomputes what pretrained/_lessons/ ships for mnist-5k (build_lessons below).
"""
from __future__ import annotations

import io
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from aelab.data.sources import Dataset
from aelab.errors import AelabError
from aelab.analysis.images import to_uint8
from aelab.analysis.latent import reconstruct
from aelab.lessons.basics import epochs_for_steps, fit_pca, truncate_pca
from aelab.library.store import PRETRAINED_ROOT, load_model, save_model
from aelab.train.loop import evaluate
from aelab.train.trainer import Trainer
from aelab.models.autoencoder import create_model
from aelab.models.variants import make_configs

ProgressCallback = Callable[[float, str], None]
LESSONS_ROOT = PRETRAINED_ROOT / "_lessons"
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

            def report(progress, base=done, text=text):
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


def _safe(name: str) -> str:
    """A dataset name as a file name (user data names may hold any character)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def sweep_paths(dataset_name: str, root: str | Path = LESSONS_ROOT) -> tuple[Path, Path]:
    stem = "bottleneck-" + _safe(dataset_name)
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


# ------------------------------------------------------------------------------------- under- and over-complete
@dataclass(frozen=True)
class CopyModel:
    name: str
    label: str
    latent_dim: int
    train: dict = field(default_factory=dict)

    @property
    def short(self) -> str:
        """A label short enough for a column title: the name and the code size."""
        return f"{self.name} ({self.latent_dim})"


OVERCOMPLETE = 1024
CONTRACTIVE_WEIGHT = 0.5  # lam in lam ||dz/dx||_F^2, trained as weight decay 2 lam (see the module docstring)
# A budget in steps, not epochs: on a small dataset 12 epochs are too few steps for the plain over-complete AE to
# become a copier (sklearn's 1438 digits, measured: noise MSE 0.056 after 12 epochs, beaten by the contractive one;
# 0.028 after 32 epochs = 192 steps, 2-3x below the regularised ones). 192 steps are mnist-5k's 12 epochs.
COPY_STEPS = 192
COPY_TRAIN = {"batch_size": 250}
COPY_MODELS = (
    CopyModel("under-complete", "under-complete AE (code 16)", 16),
    CopyModel("over-complete", f"over-complete AE (code {OVERCOMPLETE})", OVERCOMPLETE),
    CopyModel("denoising", "over-complete, denoising (half the pixels dropped)", OVERCOMPLETE,
              {"noise": "dropout", "noise_level": 0.5}),
    CopyModel("contractive", f"over-complete, contractive (weight {CONTRACTIVE_WEIGHT})", OVERCOMPLETE,
              {"weight_decay": 2 * CONTRACTIVE_WEIGHT}),
)


def copy_model_configs(spec: CopyModel, image_size: tuple[int, int], n_train: int):
    epochs = epochs_for_steps(COPY_STEPS, n_train, COPY_TRAIN["batch_size"])
    return make_configs("linear_ae", image_size, {"latent_dim": spec.latent_dim, "tied_weights": True},
                        {**COPY_TRAIN, "epochs": epochs, **spec.train})


def copy_trainer(spec: CopyModel, x_train: torch.Tensor,
                 should_stop: Callable[[], bool] = lambda: False) -> Trainer:
    """A Trainer for the copy-demo model spec on x_train: (N, 1, H, W), not yet run."""
    model_config, train_config = copy_model_configs(spec, tuple(x_train.shape[2:]), len(x_train))
    return Trainer(create_model(model_config, train_config.seed), x_train, train_config, should_stop=should_stop)


def _run_copy_trainers(x_train: torch.Tensor, on_progress: ProgressCallback | None,
                       should_stop: Callable[[], bool]) -> dict[str, Trainer] | None:
    """The four COPY_MODELS' trainers, run one after another on x_train; None if stopped."""
    trainers: dict[str, Trainer] = {}
    for i, spec in enumerate(COPY_MODELS):
        def report(progress, i=i, spec=spec):
            if on_progress:
                on_progress((i + progress.fraction) / len(COPY_MODELS),
                            f"{spec.label}: epoch {progress.epoch}/{progress.epochs}")

        trainer = copy_trainer(spec, x_train, should_stop).add_progress_callback(report).run()
        if trainer.cancelled:
            return None
        trainer.model.cpu()
        trainers[spec.name] = trainer
    return trainers


def train_copy_models(x_train: torch.Tensor, on_progress: ProgressCallback | None = None,
                      should_stop: Callable[[], bool] = lambda: False) -> dict[str, nn.Module] | None:
    """The four COPY_MODELS trained on x_train: (N, 1, H, W), on the CPU in eval mode; None if stopped."""
    trainers = _run_copy_trainers(x_train, on_progress, should_stop)
    return None if trainers is None else {name: trainer.model for name, trainer in trainers.items()}


def digit_area(x_train: torch.Tensor, threshold: float = 1e-3) -> torch.Tensor:
    """(H, W) bool: the pixels whose value varies across the training images. Outside it every training image is
    the same (black), so no model can learn anything there, and the noise demo leaves it black too."""
    return x_train.var(0)[0] > threshold


def noise_images(area: torch.Tensor, n: int = 8, seed: int = 0) -> torch.Tensor:
    """(n, 1, H, W) uniform noise in [0, 1] inside area, 0 outside: images unlike any digit."""
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, *area.shape, generator=generator) * area


@torch.no_grad()
def copy_scores(models: dict[str, nn.Module], digits: torch.Tensor, noise: torch.Tensor) -> dict[str, dict]:
    """Per-pixel MSE of each model's (clipped) reconstruction of test digits and of noise images."""
    return {name: {"digits": (reconstruct(m, digits) - digits).pow(2).mean().item(),
                   "noise": (reconstruct(m, noise) - noise).pow(2).mean().item()} for name, m in models.items()}


def copy_models_folder(dataset_name: str, root: str | Path = LESSONS_ROOT / "models") -> Path:
    return Path(root) / _safe(dataset_name)


def save_copy_models(models: dict[str, nn.Module], dataset: str, n_train: int,
                     root: str | Path = LESSONS_ROOT / "models", histories: dict[str, list] | None = None) -> None:
    """Ship the demo models as standard model folders (float16 weights): <root>/<dataset>/copy-<name>; n_train: the
    number of training images (recorded with the training settings); histories: each model's training history."""
    for spec in COPY_MODELS:
        _, train_config = copy_model_configs(spec, models[spec.name].config.image_size, n_train)
        save_model(models[spec.name], f"copy-{spec.name}", variant="linear_ae", train_config=train_config,
                   dataset=dataset, history=(histories or {}).get(spec.name), root=copy_models_folder(dataset, root),
                   overwrite=True, weights_dtype=torch.float16)


def load_copy_models(dataset_name: str, image_size: tuple[int, int],
                     root: str | Path = LESSONS_ROOT / "models") -> dict | None:
    """The shipped demo models for dataset_name if all are there and fit image_size, else None."""
    folder = copy_models_folder(dataset_name, root)
    try:
        records = {spec.name: load_model(folder / f"copy-{spec.name}") for spec in COPY_MODELS}
    except AelabError:
        return None
    if any(tuple(r.model_config.image_size) != tuple(image_size) for r in records.values()):
        return None
    return {name: record.model for name, record in records.items()}


def build_lessons(dataset: Dataset, root: str | Path = LESSONS_ROOT, on_progress: ProgressCallback | None = None,
                  parts: tuple[str, ...] = ("sweep", "copy")) -> dict:
    """Recompute the shipped lesson results for dataset: the bottleneck sweep and/or the four copy-demo models."""
    report = on_progress or (lambda fraction, text: None)
    summary: dict = {}
    share = 0.8 if "copy" in parts else 1.0
    if "sweep" in parts:
        sweep = bottleneck_sweep(dataset, on_progress=lambda f, t: report(share * f, "sweep: " + t))
        save_sweep(sweep, root)
        summary.update(sizes=sweep.sizes, sweep_seconds=sweep.seconds, sweep=sweep.test_mse)
    if "copy" in parts:
        started, base = time.perf_counter(), share if "sweep" in parts else 0.0
        trainers = _run_copy_trainers(dataset.x_train, lambda f, t: report(base + (1 - base) * f, "copy demo: " + t),
                                      lambda: False)
        models = {name: trainer.model for name, trainer in trainers.items()}
        save_copy_models(models, dataset.name, len(dataset.x_train), Path(root) / "models",
                         {name: trainer.history for name, trainer in trainers.items()})
        noise = noise_images(digit_area(dataset.x_train), 200)
        summary.update(copy_seconds=time.perf_counter() - started,
                       copy=copy_scores(models, dataset.x_test[:200], noise))
    return summary
