"""Loss terms, each a plain function citing its formula; `compute_losses` returns them as a dict of named terms.

Reductions: every term is summed over pixels (or latent units) and averaged over the batch, so reconstruction and KL
are both in nats per image and the ELBO reads directly (Kingma & Welling 2014, eq. 10).
"""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch.distributions import ContinuousBernoulli

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


def reconstruction_cb(output: Output, x: torch.Tensor) -> torch.Tensor:
    """-sum_pixels log CB(x | lambda), averaged over the batch: BCE minus log C(lambda), the normaliser that makes the
    Bernoulli likelihood a density on [0, 1] (Loaiza-Ganem & Cunningham 2019, eq. 7; pytorch/examples vae/main.py).
    A density can exceed 1, so this is often negative, and it is on another scale than BCE: compare ELBOs only
    between models trained with the same likelihood."""
    return -ContinuousBernoulli(logits=output.logits).log_prob(x).sum() / x.shape[0]


def codebook_loss(z_e: torch.Tensor, z_q: torch.Tensor) -> torch.Tensor:
    """||sg(z_e) - e||^2 summed over the code's numbers, averaged over the batch: moves the chosen codes towards the
    encoder outputs (van den Oord et al. 2017, eq. 3, second term)."""
    return (z_e.detach() - z_q).pow(2).flatten(1).sum(1).mean()


def commitment_loss(z_e: torch.Tensor, z_q: torch.Tensor) -> torch.Tensor:
    """||z_e - sg(e)||^2, the same reductions: keeps the encoder committed to its codes (eq. 3, third term)."""
    return (z_e - z_q.detach()).pow(2).flatten(1).sum(1).mean()


RECONSTRUCTION = {"bce": lambda output, x: reconstruction_bce(output, x),
                  "mse": lambda output, x: reconstruction_mse(output.x_hat, x),
                  "cb": reconstruction_cb}


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor, reduce: bool = True) -> torch.Tensor:
    """KL(N(mu, sigma^2) || N(0, I)) = -1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2)
    (Kingma & Welling 2014, appendix B). reduce=False gives it per latent unit: (B, latent_dim)."""
    per_unit = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())
    return per_unit.sum(1).mean() if reduce else per_unit


ACTIVE_KL = 0.01  # nats: a latent unit whose mean KL is above this is in use (aelab.analysis.latent.active_units)


def active_unit_count(mu: torch.Tensor, logvar: torch.Tensor, threshold: float = ACTIVE_KL) -> torch.Tensor:
    """How many latent units have a mean KL over the batch above threshold: a tracker, not optimised (its gradient is
    none), recorded so a training can say when the code stops carrying anything (posterior collapse)."""
    return (gaussian_kl(mu.detach(), logvar.detach(), reduce=False).mean(0) > threshold).sum().float()


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
    terms["recon"] = RECONSTRUCTION[config.recon_loss](output, x_clean)
    total = terms["recon"]
    if output.vq is not None:
        total = total + _vq_terms(model, output.vq, config, terms)
    if output.logvar is not None:
        terms["kl"] = gaussian_kl(output.mu, output.logvar)
        total = total + config.beta * terms["kl"]
        terms["active_units"] = active_unit_count(output.mu, output.logvar)  # tracked, not in the total
    if config.sparsity_weight > 0:
        terms["sparsity"] = l1_sparsity(output.z)
        total = total + config.sparsity_weight * terms["sparsity"]
    if config.contractive_weight > 0:
        terms["contractive"] = contractive_penalty(model.encode, x_input)
        total = total + config.contractive_weight * terms["contractive"]
    terms["total"] = total
    return terms


def _vq_terms(model, vq, config: TrainConfig, terms: dict[str, torch.Tensor]) -> torch.Tensor:
    """A VQ-VAE's terms: codebook and commitment losses, and two trackers that are not optimised (the batch's code
    perplexity and its dead codes). With EMA updates the codebook loss is reported but not trained on."""
    terms["codebook"] = codebook_loss(vq.z_e, vq.z_q)
    terms["commitment"] = commitment_loss(vq.z_e, vq.z_q)
    terms["perplexity"], terms["dead_codes"] = vq.perplexity, vq.dead
    ema = model.config.ema_decay > 0
    return (0.0 if ema else terms["codebook"]) + config.commitment_weight * terms["commitment"]
