"""Super-resolution and watermark removal, scored as restorations (aelab.analysis.restoration's metrics).

Super-resolution: the test images area-averaged down by a factor (aelab.data.corruption.lowres), then brought back
to full size by bicubic interpolation (the `lowres` corruption itself: what the model is given), by OpenCV's Lanczos
(8x8 window) from the small image, and by an autoencoder trained on the `lowres` corruption.

Watermark removal: a semi-transparent stamp at a random place (aelab.data.corruption.watermark). A denoising AE
trained on stamps is not told where the stamp is; OpenCV's inpainting is given the true mask, which is more than
any real remover knows. Scored over the whole image and inside the stamp.

x: (N, 1, H, W) in [0, 1].
"""
from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from aelab.analysis.latent import reconstruct
from aelab.analysis.restoration import classic_methods, model_method, score, score_table
from aelab.data.corruption import apply_corruption, check_factor
from aelab.errors import ConfigError

Progress = Callable[[float, str], None]


def check_upscaling(factor, image_size: tuple[int, int]) -> int:
    """The factor, or a ConfigError (a user's input) when it does not divide the image into whole pixels."""
    try:
        return check_factor(factor, image_size)
    except (ValueError, TypeError) as err:
        raise ConfigError(str(err)) from None


def downsample(x: torch.Tensor, factor: int) -> torch.Tensor:
    """(N, 1, H / factor, W / factor): each block of factor x factor pixels averaged (OpenCV's INTER_AREA)."""
    return F.interpolate(x, scale_factor=1 / factor, mode="area")


def upscale_opencv(small: torch.Tensor, size: tuple[int, int], interpolation: int) -> torch.Tensor:
    """Each small image resized to size (H, W) by cv2.resize with that interpolation, in float (no 8-bit rounding),
    clipped to [0, 1]."""
    images = small[:, 0].detach().cpu().numpy().astype(np.float32)
    out = np.stack([cv2.resize(image, (size[1], size[0]), interpolation=interpolation) for image in images])
    return torch.from_numpy(out).clamp(0, 1).unsqueeze(1)


def superres_outputs(model, x: torch.Tensor, factor: int) -> dict[str, torch.Tensor]:
    """{"low-res": the small images shown at full size (nearest), "bicubic", "Lanczos", "autoencoder": the model on
    the bicubic image} for x."""
    factor = check_upscaling(factor, tuple(x.shape[-2:]))
    small = downsample(x, factor)
    bicubic = apply_corruption("lowres", x, factor)[0]
    return {"low-res": F.interpolate(small, size=tuple(x.shape[-2:]), mode="nearest"),
            "bicubic": bicubic,
            "Lanczos": upscale_opencv(small, tuple(x.shape[-2:]), cv2.INTER_LANCZOS4),
            "autoencoder": reconstruct(model, bicubic)}


def superres_table(model, x: torch.Tensor, factor: int, on_progress: Progress | None = None) -> list[dict]:
    """Rows of method, MSE, PSNR (dB), SSIM (the means over x's images, as the Restore page scores them) for
    bicubic, Lanczos and the autoencoder at this factor."""
    if on_progress:
        on_progress(0.0, f"Upscaling {len(x)} images by {factor}")
    outputs = superres_outputs(model, x, factor)
    everywhere = torch.ones_like(x, dtype=torch.bool)
    rows = []
    for i, method in enumerate(("bicubic", "Lanczos", "autoencoder")):
        if on_progress:
            on_progress((i + 1) / 4, f"Scoring {method}")
        scores = score(outputs[method], x, everywhere)
        rows.append({"method": method, **{c: scores[c] for c in ("MSE", "PSNR (dB)", "SSIM")}})
    if on_progress:
        on_progress(1.0, "Scored")
    return rows


def check_opacity(opacity) -> float:
    opacity = float(opacity)
    if not 0.0 < opacity <= 1.0:
        raise ConfigError(f"The stamp's opacity must be above 0 and at most 1, got {opacity:g}.")
    return opacity


def watermark_methods(trained, plain, radius: int = 3) -> dict:
    """The methods compared on stamps: the AE trained on them, a plain AE, and OpenCV's two inpaintings (given the
    true mask)."""
    classic = classic_methods(radius=radius)
    return {"trained": model_method("AE trained on stamps", trained),
            "plain": model_method("plain AE", plain),
            "telea": classic["telea"], "navier_stokes": classic["navier_stokes"]}


def watermark_table(trained, plain, x: torch.Tensor, opacity: float, seed: int = 0,
                    on_progress: Progress | None = None) -> tuple[list[dict], torch.Tensor, torch.Tensor]:
    """(restoration.score_table rows, the stamped images, their masks) for stamps at opacity (seeded places)."""
    x_stamped, mask = apply_corruption("watermark", x, check_opacity(opacity), torch.Generator().manual_seed(seed))
    rows = score_table(x, x_stamped, mask, watermark_methods(trained, plain), on_progress)
    return rows, x_stamped, mask
