"""The image metrics against scikit-image, the reference implementation: whole-image SSIM per image
(structural_similarity as Wang et al. 2004 set it up) on real digits and random pairs, the window shrunk to images
smaller than 11x11, and PSNR per image (peak_signal_noise_ratio) with the score table's PSNR their mean."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from aelab.analysis.metrics import psnr, ssim, ssim_map, ssim_window
from aelab.analysis.restoration import score
from aelab.data.corruption import apply_corruption
from aelab.data.sources import load_dataset


def _seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _skimage_ssim(a: torch.Tensor, b: torch.Tensor, **window) -> np.ndarray:
    """(N,) scikit-image's SSIM per image, set up as Wang et al. (Gaussian weights, sigma 1.5, population
    covariance), in float64."""
    return np.array([structural_similarity(p[0].double().numpy(), q[0].double().numpy(), gaussian_weights=True,
                                           use_sample_covariance=False, data_range=1.0, **window)
                     for p, q in zip(a, b)])


@pytest.fixture(scope="module")
def noisy_digits(mnist5k):
    x = mnist5k.x_test[:200]
    return apply_corruption("gaussian", x, 0.2, _seeded())[0], x


# ------------------------------------------------------------------------------------------------------------ SSIM
def test_whole_image_ssim_matches_scikit_image_per_image_on_noisy_digits(noisy_digits):
    """Before the fix the mean of the map over the reflected borders gave 0.372 here against scikit-image's 0.684."""
    noisy, x = noisy_digits
    ours, reference = ssim(noisy, x).double().numpy(), _skimage_ssim(noisy, x, sigma=1.5)
    assert np.abs(ours - reference).max() < 1e-4
    assert reference.mean() == pytest.approx(0.684, abs=0.01)  # the figure quoted in the issue


def test_whole_image_ssim_matches_scikit_image_on_random_pairs():
    generator = _seeded(3)
    a = torch.rand(6, 1, 28, 28, generator=generator)
    b = (a + 0.3 * torch.randn(6, 1, 28, 28, generator=generator)).clamp(0, 1)
    c = torch.rand(6, 1, 28, 28, generator=generator)  # unrelated images: SSIM near 0
    for first, second in ((a, b), (a, c), (b, c)):
        assert np.abs(ssim(first, second).double().numpy() - _skimage_ssim(first, second, sigma=1.5)).max() < 1e-4


def test_the_ssim_map_is_scikit_images_full_map_borders_included(noisy_digits):
    """The map keeps every pixel (for the score inside a mask); its borders use scikit-image's (scipy's) reflection,
    so it equals structural_similarity(..., full=True)'s map everywhere."""
    noisy, x = noisy_digits
    ours = ssim_map(noisy[:10], x[:10]).double().numpy()
    for i in range(10):
        _, full = structural_similarity(noisy[i, 0].double().numpy(), x[i, 0].double().numpy(), gaussian_weights=True,
                                        sigma=1.5, use_sample_covariance=False, data_range=1.0, full=True)
        assert np.abs(ours[i, 0] - full).max() < 1e-4


def test_images_smaller_than_the_window_get_a_window_shrunk_to_fit_as_scikit_image_with_that_window():
    """8x8 digits: an 11x11 window does not fit, so the window is the largest odd size that does (7x7) with sigma
    shrunk in proportion (1.5 x 3 / 5 = 0.9: scikit-image's 3.5-sigma truncation then gives that same 7-tap filter),
    and scikit-image called with that win_size and sigma agrees per image."""
    assert ssim_window(28, 28) == (11, 1.5) and ssim_window(8, 8) == (7, pytest.approx(0.9))
    assert ssim_window(9, 12) == (9, pytest.approx(1.2)) and ssim_window(10, 10)[0] == 9
    x = load_dataset("digits").x_test[:60]
    noisy = apply_corruption("gaussian", x, 0.2, _seeded())[0]
    size, sigma = ssim_window(8, 8)
    reference = _skimage_ssim(noisy, x, win_size=size, sigma=sigma)
    assert np.abs(ssim(noisy, x).double().numpy() - reference).max() < 1e-4
    assert 0 < reference.mean() < 0.95 and torch.allclose(ssim(x, x), torch.ones(len(x)), atol=1e-6)
    mask = torch.zeros_like(x, dtype=torch.bool)
    mask[..., 2:5, 2:5] = True
    assert torch.isfinite(ssim(noisy, x, mask)).all()  # the in-mask score works on small images too


# ------------------------------------------------------------------------------------------------------------ PSNR
def test_psnr_per_image_matches_scikit_image(noisy_digits):
    noisy, x = noisy_digits
    reference = np.array([peak_signal_noise_ratio(p[0].double().numpy(), q[0].double().numpy(), data_range=1.0)
                          for p, q in zip(noisy, x)])
    assert np.abs(psnr(noisy, x).double().numpy() - reference).max() < 1e-3


def test_the_score_tables_psnr_is_the_mean_of_per_image_psnrs(noisy_digits):
    """One PSNR everywhere: the mean over images of 10 log10(1 / MSE_i), in the tables as in evaluate(). Before the
    fix the table showed the PSNR of the mean MSE, which is lower (Jensen)."""
    noisy, x = noisy_digits
    x_corrupt, mask = apply_corruption("box", x, 10, _seeded())
    for restored in (noisy, x_corrupt):
        row = score(restored, x, mask)
        assert row["PSNR (dB)"] == pytest.approx(psnr(restored, x).mean().item(), abs=1e-4)
        per_image = psnr(restored, x, mask)
        assert row["PSNR in mask (dB)"] == pytest.approx(per_image[~per_image.isnan()].mean().item(), abs=1e-4)
    assert row["PSNR (dB)"] > 10 * math.log10(1 / row["MSE"])  # strictly above the PSNR of the mean MSE
