"""Lessons, "Under/over-complete": the over-complete autoencoder that learns to copy, and the regularised ones
that cannot.

The copy demo trains one tied linear architecture, x_hat = W^T (W x + b) + c, four ways: with a 16-number code
(under-complete), and with a 1024-number code (over-complete: more numbers than the 784 pixels) plain, denoising
and contractive. The plain over-complete one reproduces noise it never saw, because it learned to copy; the
regularised ones cannot copy, because their objective rewards keeping only what digits use.

For the contractive AE: a linear encoder z = W x + b has the Jacobian dz/dx = W everywhere, so Rifai et al.'s
penalty lam ||dz/dx||_F^2 is lam ||W||_F^2 exactly, i.e. weight decay 2 lam on W (biases are not decayed). Training
it that way is the same objective without 1024 backward passes per step (measured: 14 s per step with
losses.contractive_penalty at this code size, against milliseconds).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from aelab.analysis.latent import reconstruct
from aelab.errors import AelabError
from aelab.lessons.basics import epochs_for_steps
from aelab.lessons.paths import LESSONS_ROOT, ProgressCallback, safe_name
from aelab.library.store import load_model, save_model
from aelab.models.autoencoder import create_model
from aelab.models.variants import make_configs
from aelab.train.trainer import Trainer


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


def run_copy_trainers(x_train: torch.Tensor, on_progress: ProgressCallback | None,
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
    trainers = run_copy_trainers(x_train, on_progress, should_stop)
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
    return Path(root) / safe_name(dataset_name)


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
