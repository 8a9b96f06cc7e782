"""A trained model's scores on held-out images: per-pixel MSE, PSNR, BCE and, for a variational model, KL and the
negative ELBO. What the CLI prints, the job reports and the library stores beside the weights."""
from __future__ import annotations

import torch
from torch import nn

from aelab.analysis.metrics import psnr
from aelab.train.loop import labels_for
from aelab.train.losses import gaussian_kl, reconstruction_bce


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, batch_size: int = 1000, seed: int = 0,
             y: torch.Tensor | None = None) -> dict[str, float]:
    """Metrics on x: (N, 1, H, W) in [0, 1] (and y: (N,) its labels, which a conditional model needs).

    mse: per pixel; psnr: mean over images of each image's PSNR, 10 log10(1 / mse_image) dB (aelab.analysis.metrics
    .psnr, the one PSNR aelab reports everywhere); bce: nats per image; for variational models
    kl (nats per image) and neg_elbo = bce + kl with one sample of z per image (nats per image).
    """
    model.eval()
    device = next(iter(model.buffers()), next(iter(model.parameters()), torch.zeros(0))).device
    generator = torch.Generator(device=device).manual_seed(seed)
    sums = {"mse": 0.0, "psnr": 0.0, "bce": 0.0, "kl": 0.0, "neg_elbo": 0.0}
    variational = model.config.variational
    for start in range(0, x.shape[0], batch_size):
        xb = x[start:start + batch_size].to(device)
        labels = labels_for(model, None if y is None else y[start:start + batch_size].to(device))
        out = model(xb, **labels)
        per_image_mse = (out.x_hat.clamp(0, 1) - xb).pow(2).flatten(1).mean(1)
        sums["mse"] += per_image_mse.sum().item()
        sums["psnr"] += psnr(out.x_hat, xb).sum().item()
        sums["bce"] += reconstruction_bce(out, xb).item() * xb.shape[0]
        if variational:
            sampled = model(xb, sample=True, generator=generator, **labels)
            kl = gaussian_kl(sampled.mu, sampled.logvar)
            sums["kl"] += kl.item() * xb.shape[0]
            sums["neg_elbo"] += (reconstruction_bce(sampled, xb) + kl).item() * xb.shape[0]
    n = x.shape[0]
    metrics = {"n": n, "mse": sums["mse"] / n, "psnr": sums["psnr"] / n, "bce": sums["bce"] / n}
    if variational:
        metrics.update(kl=sums["kl"] / n, neg_elbo=sums["neg_elbo"] / n)
    return metrics
