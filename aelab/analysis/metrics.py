"""Image quality metrics against the clean image, per image: MSE, PSNR and SSIM, overall or inside a mask.

Each matches scikit-image, the reference: `psnr` is skimage.metrics.peak_signal_noise_ratio(data_range=1) per image
(the MSE floored so a perfect image stays finite); whole-image `ssim` is skimage.metrics.structural_similarity set up
as Wang et al. (2004): gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1."""
from __future__ import annotations

import math

import torch

MAX_DB = 100.0  # a perfect image's PSNR: its MSE is floored at 10^(-MAX_DB / 10) so means stay finite
SIGMA = 1.5  # the SSIM window's Gaussian, as Wang et al. (2004)
TRUNCATE = 3.5  # the window's radius in sigmas, as scikit-image: 11 taps for sigma 1.5


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


def psnr_of_each(mse_values: torch.Tensor, max_db: float = MAX_DB) -> torch.Tensor:
    """(N,) PSNR in dB of each image's MSE, 10 log10(1 / MSE_i) for pixels in [0, 1], the MSE floored so a perfect
    image gets max_db (NaN stays NaN: an empty mask has no score)."""
    return 10 * torch.log10(1.0 / mse_values.clamp_min(10 ** (-max_db / 10)))


def psnr(x_hat: torch.Tensor, x: torch.Tensor, mask: torch.Tensor | None = None, max_db: float = MAX_DB):
    """(N,) peak signal-to-noise ratio per image in dB, 10 log10(1 / MSE) for pixels in [0, 1] (scikit-image's
    peak_signal_noise_ratio with data_range=1); a perfect image gets max_db rather than infinity. A batch's PSNR is
    the mean of these, everywhere in aelab (evaluate, the score tables, the sweeps)."""
    return psnr_of_each(mse(x_hat, x, mask), max_db)


def ssim_window(height: int, width: int, sigma: float = SIGMA) -> tuple[int, float]:
    """(window side, sigma) of the SSIM window for an image of this size: 11 and 1.5 (Wang et al.) when the image
    is at least 11 pixels a side. A smaller image gets the largest odd window that fits (7 on 8x8 digits) and a
    sigma shrunk in proportion to its radius (0.9 on 8x8), so that scikit-image's 3.5-sigma truncation gives
    exactly that window: structural_similarity(..., gaussian_weights=True, win_size=side, sigma=sigma) agrees.
    A 1- or 2-pixel side leaves a 1x1 window: SSIM is then the luminance term alone."""
    full = int(TRUNCATE * sigma + 0.5)
    radius = min(full, (min(height, width) - 1) // 2)
    return 2 * radius + 1, sigma * radius / full if radius < full else sigma


def _gaussian_window(sigma: float, radius: int, dtype) -> torch.Tensor:
    if radius == 0:
        return torch.ones(1, dtype=dtype)
    offsets = torch.arange(-radius, radius + 1, dtype=dtype)
    window = torch.exp(-offsets ** 2 / (2 * sigma ** 2))
    return window / window.sum()


def _blur_matrix(size: int, radius: int, window: torch.Tensor) -> torch.Tensor:
    """(size, size) M with (v @ M)[j] = sum_k window[k] v[reflect(j + k - radius)]: a 1-D Gaussian blur of a row of
    `size` values with scipy's 'reflect' border (_symmetric_index), as a matrix."""
    matrix = torch.zeros(size, size, dtype=window.dtype)
    sources = _symmetric_index(size, radius)  # padded position -> source index
    for out in range(size):
        matrix[:, out].index_add_(0, sources[out:out + 2 * radius + 1], window)
    return matrix


def _symmetric_index(size: int, radius: int) -> torch.Tensor:
    """Indices padding a side of `size` by radius on each end with the edge repeated (d c b a | a b c d | d c b a),
    scipy.ndimage's and so scikit-image's mode 'reflect' (torch's 'reflect' leaves the edge out)."""
    index = torch.arange(-radius, size + radius) % (2 * size)
    return torch.where(index < size, index, 2 * size - 1 - index)


def ssim_map(x_hat: torch.Tensor, x: torch.Tensor, sigma: float = SIGMA, data_range: float = 1.0) -> torch.Tensor:
    """Structural similarity per pixel (Wang, Bovik, Sheikh & Simoncelli 2004, eq. 13), (N, 1, H, W).

    Local means, variances and covariance come from the Gaussian window of `ssim_window` (11x11, sigma 1.5 on
    28x28) with borders reflected as scikit-image does, so the map has the image's size, equals scikit-image's full
    map (structural_similarity(..., full=True)) and can be averaged over a mask. K1 = 0.01, K2 = 0.03 as in the
    paper. Float32 (float64 convolutions are ~20x slower on CPU here); the images are centred on 0.5 first, which
    keeps E[x^2] - E[x]^2 from cancelling badly (the shift changes no variance)."""
    centre = 0.5 * data_range
    x_hat, x = x_hat.clamp(0, data_range).float() - centre, x.float() - centre
    height, width = x.shape[-2:]
    side, sigma = ssim_window(height, width, sigma)
    radius = side // 2
    window = _gaussian_window(sigma, radius, x.dtype)
    # The five local statistics, blurred along each axis by one matrix product with the blur's band matrix (the
    # reflected border folded in): ~50x faster on CPU than a grouped convolution over a padded copy (measured, 300
    # images of 28x28: 0.45 s -> 9 ms), and the same sums.
    stacked = torch.stack([x_hat, x, x_hat * x_hat, x * x, x_hat * x])
    along_w = _blur_matrix(width, radius, window).to(x.device)
    along_h = _blur_matrix(height, radius, window).to(x.device)
    blurred = torch.matmul(along_h.T, torch.matmul(stacked, along_w))
    mu_a, mu_b, e_aa, e_bb, e_ab = blurred.unbind(0)
    var_a, var_b, cov = e_aa - mu_a ** 2, e_bb - mu_b ** 2, e_ab - mu_a * mu_b
    mu_a, mu_b = mu_a + centre, mu_b + centre
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    return ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))


def mean_ssim(similarity: torch.Tensor, mask: torch.Tensor | None = None, sigma: float = SIGMA) -> torch.Tensor:
    """(N,) SSIM per image from its map (N, 1, H, W). Without a mask, the whole-image SSIM: the map's mean with a
    band of the window's radius cropped from every side (5 pixels on 28x28, 3 on 8x8), whose windows reach past the
    image, as scikit-image does. With a mask, the map's mean over the mask's pixels, borders included (a damaged
    pixel near the edge still counts; NaN where the mask is empty)."""
    if mask is not None:
        return masked_mean(similarity, mask)
    height, width = similarity.shape[-2:]
    radius = ssim_window(height, width, sigma)[0] // 2  # the sigma the map was made with
    return similarity[..., radius:height - radius, radius:width - radius].flatten(1).double().mean(1).float()


def ssim(x_hat: torch.Tensor, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """(N,) SSIM per image, 1 meaning identical: over the whole image as scikit-image computes it, or inside mask
    (see `mean_ssim`)."""
    return mean_ssim(ssim_map(x_hat, x), mask)
