"""Loss terms, each a plain function citing its formula; `compute_losses` returns them as a dict of named terms.

Reductions: every term is summed over pixels (or latent units) and averaged over the batch, so reconstruction and KL
are both in nats per image and the ELBO reads directly (Kingma & Welling 2014, eq. 10).
"""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from aelab.models.autoencoder import Output
from aelab.models.config import TrainConfig


def reconstruction_mse(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """sum_pixels (x_hat - x)^2, averaged over the batch."""
    return F.mse_loss(x_hat, x, reduction="sum") / x.shape[0]


def reconstruction_bce(output: Output, x: torch.Tensor) -> torch.Tensor:
    """-sum_pixels [x log x_hat + (1 - x) log(1 - x_hat)], averaged over the batch: the Bernoulli negative
    log-likelihood. Computed from logits when there are some, which stays finite where x_hat rounds to 0 or 1."""
    if output.logits is not None:
        return F.binary_cross_entropy_with_logits(output.logits, x, reduction="sum") / x.shape[0]
    return F.binary_cross_entropy(output.x_hat.clamp(1e-6, 1 - 1e-6), x, reduction="sum") / x.shape[0]


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor, reduce: bool = True) -> torch.Tensor:
    """KL(N(mu, sigma^2) || N(0, I)) = -1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2)
    (Kingma & Welling 2014, appendix B). reduce=False gives it per latent unit: (B, latent_dim)."""
    per_unit = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())
    return per_unit.sum(1).mean() if reduce else per_unit


def l1_sparsity(z: torch.Tensor) -> torch.Tensor:
    """sum_j |z_j|, averaged over the batch: pushes most code units to exactly 0 for each input."""
    return z.abs().sum(1).mean()


def contractive_penalty(encode: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """||J_f(x)||_F^2 = sum_jk (dz_j / dx_k)^2, averaged over the batch (Rifai et al. 2011, eq. 2).

    Exact: one backward pass per latent unit with create_graph=True so the penalty itself can be trained through.
    """
    x = x.detach().requires_grad_(True)
    z = encode(x)
    total = x.new_zeros(())
    for j in range(z.shape[1]):
        (grad,) = torch.autograd.grad(z[:, j].sum(), x, create_graph=True)
        total = total + grad.pow(2).sum()
    return total / x.shape[0]


def compute_losses(model, output: Output, x_clean: torch.Tensor, x_input: torch.Tensor,
                   config: TrainConfig) -> dict[str, torch.Tensor]:
    """Named terms and their weighted sum "total". x_input is what the encoder saw (corrupted for a denoising AE);
    the reconstruction is always scored against the clean x_clean."""
    terms: dict[str, torch.Tensor] = {}
    terms["recon"] = (reconstruction_bce(output, x_clean) if config.recon_loss == "bce"
                      else reconstruction_mse(output.x_hat, x_clean))
    total = terms["recon"]
    if output.logvar is not None:
        terms["kl"] = gaussian_kl(output.mu, output.logvar)
        total = total + config.beta * terms["kl"]
    if config.sparsity_weight > 0:
        terms["sparsity"] = l1_sparsity(output.z)
        total = total + config.sparsity_weight * terms["sparsity"]
    if config.contractive_weight > 0:
        terms["contractive"] = contractive_penalty(model.encode, x_input)
        total = total + config.contractive_weight * terms["contractive"]
    terms["total"] = total
    return terms
