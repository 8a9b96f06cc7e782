"""aelab.analysis.latent's paths through the latent space: traversal, ranges, interpolation (linear, slerp), mixtures
and
sampling, checked with exact values on small hand-made codes and with thresholds on large samples."""
from __future__ import annotations

import math

import pytest
import torch

from aelab.analysis.latent import dimension_importance, importance_order
from aelab.analysis.paths import (
    dimension_ranges,
    fit_gaussian,
    interpolate,
    pixel_blend,
    sample_gaussian,
    sample_prior,
    traversal_grid,
    traversal_values,
    traverse,
    triangle_codes,
    triangle_weights,
    widen_to_include,
)


def close(actual: torch.Tensor, expected, atol: float = 1e-6) -> bool:
    return torch.allclose(actual, torch.as_tensor(expected, dtype=actual.dtype), atol=atol)


# ------------------------------------------------------------------------------------------------- traversal
def test_traverse_sets_one_dimension_and_keeps_the_others():
    z = torch.tensor([1.0, 2.0, 3.0])
    codes = traverse(z, 1, torch.tensor([-1.0, 0.0, 1.0]))
    assert close(codes, [[1, -1, 3], [1, 0, 3], [1, 1, 3]])
    assert close(z, [1, 2, 3]), "the caller's code must not change"


def test_traversal_values_even_or_centred_on_the_code():
    assert close(traversal_values(1.0, -2.0, 2.0, 5), [-2, -1, 0, 1, 2])
    # centred: even steps from low to the code, then from the code to high; the middle value is the code itself
    assert close(traversal_values(1.0, -2.0, 2.0, 5, centre_on_value=True), [-2, -0.5, 1, 1.5, 2])
    even = traversal_values(0.0, -1.0, 1.0, 4, centre_on_value=True)
    assert len(even) == 5 and float(even[2]) == 0.0


def test_traversal_grid_rows_follow_dims_in_order():
    codes = traversal_grid(torch.zeros(2), [1, 0], torch.tensor([-1.0, -2.0]), torch.tensor([1.0, 2.0]), 3)
    assert close(codes, [[0, -2], [0, 0], [0, 2], [-1, 0], [0, 0], [1, 0]])  # dim 1 first, its own range
    centred = traversal_grid(torch.tensor([0.5, 0.0]), [0], torch.tensor([-1.0, -1.0]), torch.tensor([1.0, 1.0]), 5,
                             centre_on_code=True)
    assert close(centred[:, 0], [-1, -0.25, 0.5, 0.75, 1]) and close(centred[:, 1], [0] * 5)
    assert traversal_grid(torch.zeros(3), [], torch.zeros(3), torch.ones(3), 4).shape == (0, 3)


def test_dimension_ranges_in_each_mode():
    z = torch.tensor([[0.0, 0.0], [2.0, 4.0]])  # mean (1, 2), sample std (sqrt 2, sqrt 8)
    low, high = dimension_ranges(z, "std", k=1.0)
    assert close(low, [1 - math.sqrt(2), 2 - math.sqrt(8)]) and close(high, [1 + math.sqrt(2), 2 + math.sqrt(8)])
    low, high = dimension_ranges(z, "prior", k=2.0)
    assert close(low, [-2, -2]) and close(high, [2, 2])
    low, high = dimension_ranges(z, "minmax")
    assert close(low, [0, 0]) and close(high, [2, 4])
    low, high = dimension_ranges(torch.tensor([[3.0, -1.0]]), "std")  # one code: no spread, and no NaN
    assert close(low, [3, -1]) and close(high, [3, -1])
    with pytest.raises(ValueError, match="std, prior, minmax"):
        dimension_ranges(z, "quantile")


def test_widen_to_include_reaches_the_code_and_opens_dead_dimensions():
    low, high = widen_to_include(torch.tensor([0.0, 0.0]), torch.tensor([1.0, 0.0]), torch.tensor([2.0, 0.0]))
    assert close(low, [0, -0.0005]) and close(high, [2, 0.0005])
    low, high = widen_to_include(torch.tensor([-1.0]), torch.tensor([1.0]), torch.tensor([-3.0]))
    assert close(low, [-3]) and close(high, [1])


def test_importance_uses_kl_for_a_vae_and_variance_otherwise():
    z = torch.tensor([[0.0, 0.0, 1.0], [0.0, 2.0, 1.0], [0.0, 4.0, 1.0]])
    assert close(dimension_importance(z), [0, 4, 0])
    kl = torch.tensor([0.1, 0.0, 3.0])
    assert dimension_importance(z, kl) is kl
    assert importance_order(torch.tensor([0.5, 2.0, 0.5, 1.0])) == [1, 3, 0, 2]  # ties keep index order


# ----------------------------------------------------------------------------------------------- interpolation
def test_pixel_blend_mixes_pixels_linearly():
    x_a, x_b = torch.zeros(1, 2, 2), torch.ones(1, 2, 2)
    frames = pixel_blend(x_a, x_b, 3)
    assert frames.shape == (3, 1, 2, 2)
    assert close(frames.flatten(1).mean(1), [0, 0.5, 1])
    assert pixel_blend(x_a.unsqueeze(0), x_b.unsqueeze(0), 5).shape == (5, 1, 2, 2)


def test_linear_interpolation_exact():
    codes = interpolate(torch.tensor([0.0, 0.0]), torch.tensor([2.0, 4.0]), 3)
    assert close(codes, [[0, 0], [1, 2], [2, 4]])


def test_slerp_exact_on_orthogonal_codes():
    codes = interpolate(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0]), 3, "slerp")
    half = 1.5 / math.sqrt(2)  # direction (1, 1)/sqrt 2 at angle 45 degrees, norm halfway between 1 and 2
    assert close(codes, [[1, 0], [half, half], [0, 2]], atol=1e-6)


def test_slerp_norms_stay_between_the_ends_and_linear_ones_shrink():
    generator = torch.Generator().manual_seed(0)
    for _ in range(20):
        z_a, z_b = torch.randn(2, 16, generator=generator)
        norms = interpolate(z_a, z_b, 9, "slerp").norm(dim=1)
        low, high = sorted([float(z_a.norm()), float(z_b.norm())])
        assert torch.all(norms >= low - 1e-5) and torch.all(norms <= high + 1e-5)
        assert close(norms, torch.linspace(float(z_a.norm()), float(z_b.norm()), 9), atol=1e-4)
        # the straight line between two Gaussian codes passes closer to the origin: why slerp exists
        assert float(interpolate(z_a, z_b, 9)[4].norm()) < float(norms[4])


def test_slerp_special_cases_parallel_opposite_and_zero():
    assert close(interpolate(torch.tensor([1.0, 1.0]), torch.tensor([2.0, 2.0]), 3, "slerp"),
                 [[1, 1], [1.5, 1.5], [2, 2]])
    opposite = interpolate(torch.tensor([1.0, 0.0, 0.0]), torch.tensor([-2.0, 0.0, 0.0]), 3, "slerp")
    assert torch.isfinite(opposite).all()
    assert close(opposite[0], [1, 0, 0]) and close(opposite[2], [-2, 0, 0], atol=1e-5)
    assert abs(float(opposite[1].norm()) - 1.5) < 1e-5 and abs(float(opposite[1, 0])) < 1e-5
    assert close(interpolate(torch.zeros(2), torch.tensor([2.0, 0.0]), 3, "slerp"), [[0, 0], [1, 0], [2, 0]])
    with pytest.raises(ValueError, match="linear, slerp"):
        interpolate(torch.zeros(2), torch.ones(2), 3, "cubic")


def test_triangle_weights_and_codes_exact():
    weights = triangle_weights(3)
    assert close(weights, [[1, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 1, 0], [0, 0.5, 0.5], [0, 0, 1]])
    assert close(triangle_weights(1), [[1, 0, 0]])
    assert close(triangle_weights(6).sum(1), torch.ones(21)) and (triangle_weights(6) >= 0).all()
    codes = triangle_codes(torch.tensor([1.0, 0, 0]), torch.tensor([0, 1.0, 0]), torch.tensor([0, 0, 1.0]), 3)
    assert close(codes, weights)


# ---------------------------------------------------------------------------------------------------- sampling
def test_sample_prior_is_seeded_and_scaled_by_temperature():
    expected = torch.randn(4, 3, generator=torch.Generator().manual_seed(7))
    assert close(sample_prior(4, 3, seed=7), expected)
    assert close(sample_prior(4, 3, temperature=0.5, seed=7), 0.5 * expected)
    assert not torch.equal(sample_prior(4, 3, seed=7), sample_prior(4, 3, seed=8))
    many = sample_prior(20000, 4, temperature=2.0, seed=0)
    assert float(many.mean(0).abs().max()) < 0.05 and float((many.std(0) - 2.0).abs().max()) < 0.05


def test_fit_gaussian_exact():
    mean, cov = fit_gaussian(torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]]))
    assert close(mean, [1, 1]) and close(cov, [[4 / 3 + 1e-5, 0], [0, 4 / 3 + 1e-5]])


def test_sample_gaussian_exact_and_matches_the_covariance():
    mean, cov = torch.tensor([1.0, -1.0]), torch.tensor([[4.0, 0.0], [0.0, 1.0]])
    eps = torch.randn(3, 2, generator=torch.Generator().manual_seed(3))
    assert close(sample_gaussian(mean, cov, 3, seed=3), mean + eps * torch.tensor([2.0, 1.0]), atol=1e-5)
    assert close(sample_gaussian(mean, cov, 3, temperature=0.5, seed=3), mean + 0.5 * eps * torch.tensor([2.0, 1.0]),
                 atol=1e-5)
    correlated = torch.tensor([[2.0, 1.2], [1.2, 1.0]])
    samples = sample_gaussian(torch.zeros(2), correlated, 40000, seed=0)
    assert float((torch.cov(samples.T) - correlated).abs().max()) < 0.05
