"""Training as a generator of Progress, so a CLI progress bar, a background job and a test all drive the same loop.

The loop knows nothing about the caller (minGPT's trainer is the model): it yields after each step and each epoch,
and stops between steps when should_stop() is true, leaving a consistent model behind.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import torch
from torch import nn

from aelab.models.config import ModelConfig, TrainConfig
from aelab.data.corruption import apply_corruption
from aelab.data.point_noise import corrupt_points
from aelab.errors import TrainingError
from aelab.train.losses import compute_losses, gaussian_kl, reconstruction_bce
from aelab.models.autoencoder import resolve_device

@dataclass(frozen=True)
class Progress:
    """A snapshot after a step ("step") or an epoch ("epoch"); losses are this step's or the epoch's means."""

    event: str
    epoch: int  # 1-based epoch in progress
    epochs: int
    step: int  # steps done so far, all epochs
    total_steps: int
    losses: dict[str, float]
    val_losses: dict[str, float] | None = None
    elapsed_s: float = 0.0

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 1.0

    @property
    def eta_s(self) -> float:
        return self.elapsed_s * (1 - self.fraction) / self.fraction if self.fraction > 0 else math.nan


@dataclass
class TrainResult:
    history: list[dict] = field(default_factory=list)  # one entry per epoch: epoch, train, val, elapsed_s
    cancelled: bool = False


def _corrupt(x: torch.Tensor, config: TrainConfig, generator: torch.Generator) -> torch.Tensor:
    """The input a denoising AE sees: x corrupted by any trainable corruption of the registry (the target stays x)."""
    if config.noise == "none":
        return x
    if x.dim() == 2:  # points (B, D) of the Playground: their own Gaussian noise, never clipped to a pixel range
        return corrupt_points(x, config.noise, config.noise_level, generator)
    return apply_corruption(config.noise, x, config.noise_level, generator)[0]


def make_optimizer(model: nn.Module, config: TrainConfig, device: torch.device) -> torch.optim.Optimizer:
    # The fused kernel updates every parameter in one pass: ~15% faster than the per-tensor loop here.
    fused = device.type in ("cpu", "cuda")
    # Weight decay on weight matrices and kernels only (nanoGPT's configure_optimizers makes the same split):
    # decaying a bias pulls the learned mean image towards 0, which tilts a linear AE's subspace away from PCA's.
    params = list(model.parameters())
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": config.weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.Adam([g for g in groups if g["params"]], lr=config.lr, fused=fused)


@torch.no_grad()
def _mean_losses(model: nn.Module, x: torch.Tensor, config: TrainConfig, generator: torch.Generator,
                 batch_size: int = 1000) -> dict[str, float]:
    """Loss terms on clean inputs, averaged over x; a VAE samples z as in training so the curves compare."""
    totals: dict[str, float] = {}
    for start in range(0, x.shape[0], batch_size):
        xb = x[start:start + batch_size]
        with torch.enable_grad() if config.contractive_weight > 0 else torch.no_grad():
            terms = compute_losses(model, model(xb, sample=True, generator=generator), xb, xb, config)
        for name, value in terms.items():
            totals[name] = totals.get(name, 0.0) + value.item() * xb.shape[0]
    return {name: value / x.shape[0] for name, value in totals.items()}


def train(model: nn.Module, x_train: torch.Tensor, config: TrainConfig, x_val: torch.Tensor | None = None,
          should_stop: Callable[[], bool] = lambda: False) -> Iterator[Progress]:
    """Train model in place. x_train, x_val: (N, 1, H, W) in [0, 1].

    Batches are contiguous slices of a tensor permuted once per epoch (views, no DataLoader, no per-batch gather).
    Raises TrainingError if the loss or the gradient stops being finite; the weights are left as they were before
    that step.
    """
    device = resolve_device(config.device)
    model.to(device)
    x_train = x_train.to(device)
    x_val = x_val.to(device) if x_val is not None else None
    generator = torch.Generator(device=device).manual_seed(config.seed)
    cpu_generator = torch.Generator().manual_seed(config.seed)
    optimizer = make_optimizer(model, config, device)
    parameters = [p for p in model.parameters() if p.requires_grad]
    n, batch_size = x_train.shape[0], min(config.batch_size, x_train.shape[0])
    steps_per_epoch = math.ceil(n / batch_size)
    total_steps, step, started = steps_per_epoch * config.epochs, 0, time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        model.train()
        shuffled = x_train[torch.randperm(n, generator=cpu_generator).to(device)]
        sums: dict[str, torch.Tensor] = {}
        for start in range(0, n, batch_size):
            if should_stop():
                return
            xb = shuffled[start:start + batch_size]
            x_input = _corrupt(xb, config, generator)
            terms = compute_losses(model, model(x_input, generator=generator), xb, x_input, config)
            if not torch.isfinite(terms["total"]):
                raise TrainingError(
                    f"The loss became {terms['total'].item()} at epoch {epoch}, step {step + 1}: training is "
                    f"unstable, most likely because the learning rate ({config.lr:g}) is too high; try a 10x "
                    "smaller one.")
            optimizer.zero_grad(set_to_none=True)
            terms["total"].backward()
            # A finite loss can still give an overflowing gradient (a huge learning rate's last step before NaN):
            # stepping on it would turn the weights to NaN, so stop before the step. A plain sum carries any inf or
            # NaN through and costs half of a norm (0.09 ms against 0.19 ms for the 784-512-256-16 MLP, measured).
            grad_sum = torch.stack([p.grad.sum() for p in parameters if p.grad is not None]).sum()
            if not torch.isfinite(grad_sum):
                raise TrainingError(
                    f"The gradients overflowed (their sum is {grad_sum.item()}) at epoch {epoch}, step {step + 1}, "
                    f"with a finite loss: training is unstable, most likely because the learning rate "
                    f"({config.lr:g}) is too high; try a 10x smaller one.")
            optimizer.step()
            step += 1
            step_losses = {name: value.item() for name, value in terms.items()}
            for name, value in step_losses.items():
                sums[name] = sums.get(name, 0.0) + value * xb.shape[0]
            yield Progress("step", epoch, config.epochs, step, total_steps, step_losses,
                           elapsed_s=time.perf_counter() - started)
        model.eval()
        val = _mean_losses(model, x_val, config, generator) if x_val is not None else None
        yield Progress("epoch", epoch, config.epochs, step, total_steps, {k: v / n for k, v in sums.items()},
                       val, elapsed_s=time.perf_counter() - started)


def fit(model: nn.Module, x_train: torch.Tensor, config: TrainConfig, x_val: torch.Tensor | None = None,
        should_stop: Callable[[], bool] = lambda: False,
        on_progress: Callable[[Progress], None] | None = None) -> TrainResult:
    """Train (or, for a baseline, fit in closed form) and collect the per-epoch history."""
    result = TrainResult()
    if getattr(model.config, "is_baseline", False):
        started = time.perf_counter()
        model.fit(x_train, seed=config.seed)
        entry = {"epoch": 1, "train": {"mse": evaluate(model, x_train)["mse"]}, "elapsed_s": 0.0}
        if x_val is not None:
            entry["val"] = {"mse": evaluate(model, x_val)["mse"]}
        entry["elapsed_s"] = time.perf_counter() - started
        result.history.append(entry)
        return result
    last_step = 0
    for progress in train(model, x_train, config, x_val, should_stop):
        last_step = progress.step
        if progress.event == "epoch":
            result.history.append({"epoch": progress.epoch, "train": progress.losses,
                                   "val": progress.val_losses, "elapsed_s": progress.elapsed_s})
        if on_progress is not None:
            on_progress(progress)
    total = math.ceil(x_train.shape[0] / min(config.batch_size, x_train.shape[0])) * config.epochs
    result.cancelled = last_step < total
    model.eval()
    return result


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, batch_size: int = 1000, seed: int = 0) -> dict[str, float]:
    """Metrics on x: (N, 1, H, W) in [0, 1].

    mse: per pixel; psnr: mean over images of 10 log10(1 / mse_image) dB; bce: nats per image; for variational models
    kl (nats per image) and neg_elbo = bce + kl with one sample of z per image (nats per image).
    """
    model.eval()
    device = next(iter(model.buffers()), next(iter(model.parameters()), torch.zeros(0))).device
    generator = torch.Generator(device=device).manual_seed(seed)
    sums = {"mse": 0.0, "psnr": 0.0, "bce": 0.0, "kl": 0.0, "neg_elbo": 0.0}
    variational = bool(getattr(model.config, "variational", False))
    for start in range(0, x.shape[0], batch_size):
        xb = x[start:start + batch_size].to(device)
        out = model(xb)
        per_image_mse = (out.x_hat.clamp(0, 1) - xb).pow(2).flatten(1).mean(1)
        sums["mse"] += per_image_mse.sum().item()
        sums["psnr"] += (10 * torch.log10(1 / per_image_mse.clamp_min(1e-10))).sum().item()
        sums["bce"] += reconstruction_bce(out, xb).item() * xb.shape[0]
        if variational:
            sampled = model(xb, sample=True, generator=generator)
            kl = gaussian_kl(sampled.mu, sampled.logvar)
            sums["kl"] += kl.item() * xb.shape[0]
            sums["neg_elbo"] += (reconstruction_bce(sampled, xb) + kl).item() * xb.shape[0]
    n = x.shape[0]
    metrics = {"n": n, "mse": sums["mse"] / n, "psnr": sums["psnr"] / n, "bce": sums["bce"] / n}
    if variational:
        metrics.update(kl=sums["kl"] / n, neg_elbo=sums["neg_elbo"] / n)
    return metrics
