"""Image quality metrics against the clean image, per image: MSE, PSNR and SSIM, overall or inside a mask."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def masked_mean(values: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """values (N, 1, H, W) -> (N,) mean per image, over the mask's pixels only when given (NaN where it is empty)."""
    if mask is None:
        return values.flatten(1).mean(1)
    weights = mask.to(values.dtype).flatten(1)
    count = weights.sum(1)
    total = (values.flatten(1) * weights).sum(1)
    return torch.where(count > 0, total / count.clamp_min(1), torch.full_like(total, math.nan))


def mse(x_hat: torch.Tensor, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """(N,) mean squared error per image, overall or inside mask."""
    return masked_mean((x_hat.clamp(0, 1) - x).pow(2), mask)


def psnr(x_hat: torch.Tensor, x: torch.Tensor, mask: torch.Tensor | None = None, max_db: float = 100.0):
    """(N,) peak signal-to-noise ratio per image in dB, 10 log10(1 / MSE) for pixels in [0, 1]; a perfect image
    gets max_db rather than infinity so averages stay finite."""
    return (10 * torch.log10(1.0 / mse(x_hat, x, mask).clamp_min(10 ** (-max_db / 10))))


def _gaussian_window(sigma: float, radius: int, dtype) -> torch.Tensor:
    offsets = torch.arange(-radius, radius + 1, dtype=dtype)
    window = torch.exp(-offsets ** 2 / (2 * sigma ** 2))
    return window / window.sum()


def ssim_map(x_hat: torch.Tensor, x: torch.Tensor, sigma: float = 1.5, data_range: float = 1.0) -> torch.Tensor:
    """Structural similarity per pixel (Wang, Bovik, Sheikh & Simoncelli 2004, eq. 13), (N, 1, H, W).

    Local means, variances and covariance come from an 11x11 Gaussian window (sigma 1.5, truncated at 3.5 sigma as
    scikit-image does) with reflected borders, so the map has the image's size and can be averaged over a mask.
    K1 = 0.01, K2 = 0.03 as in the paper. Float32 (float64 convolutions are ~20x slower on CPU here); the images
    are centred on 0.5 first, which keeps E[x^2] - E[x]^2 from cancelling badly (the shift changes no variance)."""
    centre = 0.5 * data_range
    x_hat, x = x_hat.clamp(0, data_range).float() - centre, x.float() - centre
    radius = int(3.5 * sigma + 0.5)
    radius = min(radius, x.shape[-1] - 1, x.shape[-2] - 1)  # reflect padding needs radius < side
    window = _gaussian_window(sigma, radius, x.dtype)
    # The five local statistics in one separable, grouped convolution (one pass instead of ten).
    stacked = torch.cat([x_hat, x, x_hat * x_hat, x * x, x_hat * x], dim=1)
    stacked = F.pad(stacked, (radius, radius, radius, radius), mode="reflect")
    stacked = F.conv2d(stacked, window.view(1, 1, 1, -1).expand(5, 1, 1, -1), groups=5)
    mu_a, mu_b, e_aa, e_bb, e_ab = F.conv2d(stacked, window.view(1, 1, -1, 1).expand(5, 1, -1, 1),
                                            groups=5).split(1, dim=1)
    var_a, var_b, cov = e_aa - mu_a ** 2, e_bb - mu_b ** 2, e_ab - mu_a * mu_b
    mu_a, mu_b = mu_a + centre, mu_b + centre
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    return ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))


def ssim(x_hat: torch.Tensor, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """(N,) mean SSIM per image, over all pixels or inside mask. 1 means identical."""
    return masked_mean(ssim_map(x_hat, x), mask)


def psnr_of_mse(mse_value: float, max_db: float = 100.0) -> float:
    """10 log10(1 / MSE) in dB for pixels in [0, 1], at most max_db."""
    return float(10 * math.log10(1.0 / max(mse_value, 10 ** (-max_db / 10)))) if not math.isnan(mse_value) else math.nan
