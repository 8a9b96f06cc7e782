"""Each loss term against its formula computed another way: closed form, Monte Carlo, autograd's Jacobian."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal, kl_divergence

from aelab.models.autoencoder import Output
from aelab.models.config import TrainConfig
from aelab.train.losses import (
    compute_losses,
    contractive_penalty,
    gaussian_kl,
    l1_sparsity,
    reconstruction_bce,
    reconstruction_mse,
)

pytestmark = pytest.mark.usefixtures("single_thread")


def test_kl_is_exactly_zero_at_the_prior():
    mu, logvar = torch.zeros(5, 7), torch.zeros(5, 7)
    assert gaussian_kl(mu, logvar).item() == 0.0
    assert torch.equal(gaussian_kl(mu, logvar, reduce=False), torch.zeros(5, 7))


def test_kl_matches_the_closed_form_of_torch_distributions():
    generator = torch.Generator().manual_seed(0)
    mu = torch.randn(6, 4, generator=generator, dtype=torch.float64)
    logvar = torch.empty(6, 4, dtype=torch.float64).uniform_(-2, 2, generator=generator)
    reference = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0))  # (6, 4) per unit
    assert torch.allclose(gaussian_kl(mu, logvar, reduce=False), reference, atol=1e-12)
    assert torch.allclose(gaussian_kl(mu, logvar), reference.sum(1).mean(), atol=1e-12)
    assert torch.all(gaussian_kl(mu, logvar, reduce=False) > 0)


def test_kl_matches_a_monte_carlo_estimate():
    """KL(q || p) = E_q[log q(z) - log p(z)], estimated from 200k samples of z ~ q per image."""
    generator = torch.Generator().manual_seed(1)
    mu = torch.randn(4, 8, generator=generator, dtype=torch.float64)
    logvar = torch.empty(4, 8, dtype=torch.float64).uniform_(-1.5, 1.0, generator=generator)
    q, p = Normal(mu, (0.5 * logvar).exp()), Normal(torch.zeros_like(mu), torch.ones_like(mu))
    z = mu + (0.5 * logvar).exp() * torch.randn(200_000, 4, 8, generator=generator, dtype=torch.float64)
    per_image = (q.log_prob(z) - p.log_prob(z)).sum(-1).mean(0)  # (4,)
    exact = gaussian_kl(mu, logvar, reduce=False).sum(1)
    assert torch.all(exact > 2.0)  # large enough that a relative tolerance means something
    assert torch.allclose(per_image, exact, rtol=0.02)
    assert gaussian_kl(mu, logvar).item() == pytest.approx(per_image.mean().item(), rel=0.02)


def _small_encoder() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3)).double()


def test_contractive_penalty_is_the_squared_frobenius_norm_of_the_jacobian():
    encoder = _small_encoder()
    x = torch.randn(4, 6, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    expected = torch.stack([
        torch.autograd.functional.jacobian(lambda xi: encoder(xi.unsqueeze(0)).squeeze(0), xi).pow(2).sum()
        for xi in x
    ]).mean()
    penalty = contractive_penalty(encoder, x)
    assert expected.item() > 0.1
    assert torch.allclose(penalty, expected, atol=1e-5, rtol=0)


def test_contractive_penalty_can_be_trained_through():
    encoder = _small_encoder()
    x = torch.randn(4, 6, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    contractive_penalty(encoder, x).backward()
    # Every parameter that the Jacobian depends on gets a gradient (the last bias shifts z but not dz/dx).
    for param in (encoder[0].weight, encoder[0].bias, encoder[2].weight):
        assert param.grad is not None and torch.isfinite(param.grad).all() and param.grad.abs().sum() > 0
    assert encoder[2].bias.grad is None or not encoder[2].bias.grad.any()
    assert x.grad is None  # the caller's input is not turned into a leaf that collects gradients


def test_contractive_penalty_of_a_linear_map_is_its_frobenius_norm():
    linear = nn.Linear(10, 4).double()
    x = torch.rand(3, 10, dtype=torch.float64)
    assert torch.allclose(contractive_penalty(linear, x), linear.weight.pow(2).sum(), atol=1e-12)


def test_reconstruction_terms_sum_over_pixels_and_average_over_images():
    generator = torch.Generator().manual_seed(4)
    x = torch.rand(5, 1, 4, 4, generator=generator)
    logits = torch.randn(5, 1, 4, 4, generator=generator)
    x_hat = torch.sigmoid(logits)
    assert torch.allclose(reconstruction_mse(x_hat, x), ((x_hat - x) ** 2).sum() / 5)
    manual = -(x * x_hat.log() + (1 - x) * (1 - x_hat).log()).sum() / 5
    with_logits = reconstruction_bce(Output(x_hat, None, None, None, logits), x)
    without_logits = reconstruction_bce(Output(x_hat, None, None, None, None), x)
    assert torch.allclose(with_logits, manual, rtol=1e-5)
    assert torch.allclose(without_logits, manual, rtol=1e-5)


def test_bce_from_logits_stays_finite_where_the_sigmoid_saturates():
    logits = torch.tensor([[-200.0, 200.0]]).view(1, 1, 1, 2)
    x = torch.tensor([[1.0, 0.0]]).view(1, 1, 1, 2)
    loss = reconstruction_bce(Output(torch.sigmoid(logits), None, None, None, logits), x)
    assert torch.isfinite(loss) and loss.item() == pytest.approx(400.0)


def test_l1_sparsity():
    z = torch.tensor([[1.0, -2.0, 0.0], [0.5, 0.0, -0.5]])
    assert l1_sparsity(z).item() == pytest.approx(2.0)  # (3 + 1) / 2


def test_compute_losses_names_its_terms_and_weights_them_into_the_total():
    generator = torch.Generator().manual_seed(5)
    x = torch.rand(4, 1, 3, 3, generator=generator)
    mu, logvar = torch.randn(4, 2, generator=generator), torch.randn(4, 2, generator=generator)
    logits = torch.randn(4, 1, 3, 3, generator=generator)
    output = Output(torch.sigmoid(logits), mu, mu, logvar, logits)
    config = TrainConfig(beta=4.0, sparsity_weight=0.5)
    terms = compute_losses(None, output, x, x, config)
    assert set(terms) == {"recon", "kl", "active_units", "sparsity", "total"}
    assert terms["active_units"].item() == (gaussian_kl(mu, logvar, reduce=False).mean(0) > 0.01).sum().item()
    assert torch.allclose(terms["recon"], reconstruction_bce(output, x))
    assert torch.allclose(terms["kl"], gaussian_kl(mu, logvar))
    assert torch.allclose(terms["total"], terms["recon"] + 4.0 * terms["kl"] + 0.5 * terms["sparsity"])
    plain = compute_losses(None, output._replace(mu=None, logvar=None), x, x, TrainConfig(recon_loss="mse"))
    assert set(plain) == {"recon", "total"}
    assert torch.allclose(plain["recon"], F.mse_loss(output.x_hat, x, reduction="sum") / 4)


def test_reconstruction_is_scored_against_the_clean_target_not_the_input():
    generator = torch.Generator().manual_seed(6)
    clean = torch.rand(4, 1, 5, 5, generator=generator)
    noisy = clean.masked_fill(torch.rand(clean.shape, generator=generator) < 0.5, 0.0)
    logits = torch.randn(4, 1, 5, 5, generator=generator)
    output = Output(torch.sigmoid(logits), torch.zeros(4, 2), None, None, logits)
    terms = compute_losses(None, output, clean, noisy, TrainConfig())
    assert torch.allclose(terms["recon"], reconstruction_bce(output, clean))
    assert not torch.allclose(terms["recon"], reconstruction_bce(output, noisy))
