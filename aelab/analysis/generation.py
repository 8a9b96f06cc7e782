"""Why a VAE and not a plain AE: decode random codes from each and compare.

A VAE is trained so that its codes follow the prior N(0, I): codes drawn from the prior decode to digits. A plain AE
puts its codes wherever reconstruction is easiest: N(0, I) codes fall mostly where no training image was, and even a
Gaussian fitted to its codes fills the gaps between clusters with blends. The three grids side by side show it.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from aelab.analysis.latent import decode
from aelab.analysis.paths import fit_gaussian, sample_gaussian, sample_prior


@dataclass(frozen=True)
class GeneratedGrid:
    title: str
    images: torch.Tensor  # (n, 1, H, W) in [0, 1]
    codes: torch.Tensor  # (n, latent_dim)
    note: str  # what to notice, one sentence


def vae_prior_samples(model, n: int, temperature: float = 1.0, seed: int = 0) -> GeneratedGrid:
    """Decode z ~ N(0, temperature^2 I): the VAE's generative model. Temperature < 1 trades variety for clarity."""
    z = sample_prior(n, model.latent_dim, temperature, seed)
    return GeneratedGrid("VAE: codes from the prior N(0, I)", decode(model, z), z,
                         "Most samples look like digits: training pulled the codes towards the prior, so the "
                         "decoder has seen codes like these.")


def ae_prior_samples(model, n: int, temperature: float = 1.0, seed: int = 0) -> GeneratedGrid:
    """Decode z ~ N(0, temperature^2 I) with a plain autoencoder, which was never asked to use that region."""
    z = sample_prior(n, model.latent_dim, temperature, seed)
    return GeneratedGrid("Plain AE: codes from N(0, I)", decode(model, z), z,
                         "Mostly smudges: nothing made the AE put its codes where N(0, I) puts its samples.")


def ae_fitted_samples(model, data_codes: torch.Tensor, n: int, temperature: float = 1.0,
                      seed: int = 0) -> GeneratedGrid:
    """Decode codes from a Gaussian fitted to the AE's own codes of the data: the best a plain AE can do without
    a prior of its own. Better than N(0, I), but the regions between clusters still decode to blends."""
    mean, cov = fit_gaussian(data_codes.float())
    z = sample_gaussian(mean, cov, n, temperature, seed)
    return GeneratedGrid("Plain AE: codes from a Gaussian fitted to its codes", decode(model, z), z,
                         "Closer: the samples land where the data's codes are, but the gaps between clusters "
                         "decode to blends of digits, since the AE never had to make that space meaningful.")


def code_scale(data_codes: torch.Tensor) -> dict[str, float]:
    """How far a model's codes are from N(0, I): mean norm of the codes against the sqrt(d) a standard normal has."""
    d = data_codes.shape[1]
    return {"mean_norm": float(data_codes.norm(dim=1).mean()), "prior_norm": float(d) ** 0.5,
            "mean_abs_mean": float(data_codes.mean(0).abs().mean()), "mean_std": float(data_codes.std(0).mean())}
