"""Restoring corrupted images, and scoring it: classic baselines (OpenCV inpainting, median, non-local means) and
autoencoders behind one signature, and MSE / PSNR / SSIM against the clean image, overall and inside the mask.

Every restoration function has the signature (x_corrupt: (N, 1, H, W) in [0, 1], mask: (N, 1, H, W) bool or None)
-> x_restored: (N, 1, H, W) in [0, 1]. A method whose `needs_mask` is true (inpainting) must be given the mask of the
damaged pixels and only changes those; the others ignore it.
"""
from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from aelab.analysis.latent import reconstruct
from aelab.analysis.metrics import masked_mean, mean_ssim, mse, psnr, psnr_of_each, ssim, ssim_map  # noqa: F401 (re-exported)
from aelab.data.corruption import CORRUPTION_INFO, apply_corruption

RestoreFn = Callable[[torch.Tensor, "torch.Tensor | None"], torch.Tensor]
Progress = Callable[[float, str], None]  # (fraction done in [0, 1], what is being done)


@dataclass(frozen=True)
class Method:
    """A named restoration method. kind: "classic" | "model"."""

    name: str
    restore: RestoreFn
    needs_mask: bool
    kind: str
    description: str = ""
    denoiser: bool = False  # removes additive noise only: nothing to do where a corruption blanks pixels


# ------------------------------------------------------------------------------------------------- classic methods
def _per_image(x: torch.Tensor, restore_one: Callable[[np.ndarray, int], np.ndarray]) -> torch.Tensor:
    """Apply an OpenCV function to each image as 8-bit grey (what cv2's inpainting and NL-means take)."""
    if x.shape[0] == 0:
        return x.clone()
    images = (x[:, 0].detach().cpu().clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8)
    restored = np.stack([restore_one(image, i) for i, image in enumerate(images)])
    return torch.from_numpy(restored.astype(np.float32) / 255.0).unsqueeze(1).to(x.device)


def _mask_uint8(mask: torch.Tensor | None, x: torch.Tensor, method: str) -> np.ndarray:
    if mask is None:
        raise ValueError(f"{method} is an inpainting method: it needs the mask of the damaged pixels.")
    if mask.shape != x.shape:
        raise ValueError(f"The mask has shape {tuple(mask.shape)} but the images {tuple(x.shape)}.")
    return mask[:, 0].detach().cpu().numpy().astype(np.uint8)


def inpaint_telea(x_corrupt: torch.Tensor, mask: torch.Tensor | None, radius: int = 3) -> torch.Tensor:
    """OpenCV's fast-marching inpainting (Telea 2004): fills the mask from its border inwards, each pixel a weighted
    average of known pixels within radius."""
    masks = _mask_uint8(mask, x_corrupt, "Telea")
    return _per_image(x_corrupt, lambda image, i: cv2.inpaint(image, masks[i], float(radius), cv2.INPAINT_TELEA))


def inpaint_navier_stokes(x_corrupt: torch.Tensor, mask: torch.Tensor | None, radius: int = 3) -> torch.Tensor:
    """OpenCV's Navier-Stokes inpainting (Bertalmio et al. 2001): continues the image's isophotes (lines of equal
    brightness) into the mask."""
    masks = _mask_uint8(mask, x_corrupt, "Navier-Stokes")
    return _per_image(x_corrupt, lambda image, i: cv2.inpaint(image, masks[i], float(radius), cv2.INPAINT_NS))


def median_filter(x_corrupt: torch.Tensor, mask: torch.Tensor | None = None, size: int = 3) -> torch.Tensor:
    """Each pixel replaced by the median of its size x size neighbourhood (size odd): the classic cure for salt and
    pepper. Ignores the mask."""
    size = int(size)
    if size < 3 or size % 2 == 0:
        raise ValueError(f"The median filter's size must be odd and at least 3, got {size}.")
    return _per_image(x_corrupt, lambda image, i: cv2.medianBlur(image, size))


def estimate_noise_sigma(x: torch.Tensor) -> torch.Tensor:
    """(N,) robust estimate of each image's Gaussian noise sigma (in [0, 1] units): the median absolute response to
    Immerkaer's (1996) Laplacian-difference kernel, which cancels smooth image content, scaled by 1 / (0.6745 * 6)
    (the kernel's norm is 6; 0.6745 turns a median absolute deviation into a standard deviation). Clipping at 0 and 1
    hides part of the noise, so strong noise is underestimated by about 40%."""
    kernel = torch.tensor([[1.0, -2.0, 1.0], [-2.0, 4.0, -2.0], [1.0, -2.0, 1.0]], dtype=x.dtype, device=x.device)
    response = F.conv2d(x, kernel.view(1, 1, 3, 3)).flatten(1)
    return response.abs().median(1).values / (0.6745 * 6)


def nl_means(x_corrupt: torch.Tensor, mask: torch.Tensor | None = None, h: float | None = None) -> torch.Tensor:
    """Non-local means (Buades et al. 2005, cv2.fastNlMeansDenoising): each pixel becomes an average of pixels whose
    7x7 neighbourhoods look alike, within 21x21. h (in 0-255 grey levels) sets how alike; stronger noise needs a
    larger h. h=None picks it per image as 255 x the estimated noise sigma (on mnist-5k under Gaussian noise this
    lands within 1 dB of the best fixed h for sigma 0.1 to 0.5). Ignores the mask. A denoiser for additive noise:
    on blanked pixels (dropout, a box, missing rows) the noise estimate is 0 and h=None returns the input as it
    was, so `applicable` skips it for those corruptions."""
    if h is not None and not h > 0:
        raise ValueError(f"Non-local means needs a filter strength h above 0, got {h}.")
    if h is None:
        strengths = (255 * estimate_noise_sigma(x_corrupt)).clamp(3, 100).tolist()
    else:
        strengths = [float(h)] * x_corrupt.shape[0]
    return _per_image(x_corrupt, lambda image, i: cv2.fastNlMeansDenoising(image, None, strengths[i], 7, 21))


def classic_methods(radius: int = 3, median_size: int = 3, nlm_h: float | None = None) -> dict[str, Method]:
    """The classic baselines with their settings bound, by name."""
    return {
        "telea": Method(f"Telea inpainting (r={radius})", functools.partial(inpaint_telea, radius=radius), True,
                        "classic", "OpenCV fast-marching inpainting; needs the mask."),
        "navier_stokes": Method(f"Navier-Stokes inpainting (r={radius})",
                                functools.partial(inpaint_navier_stokes, radius=radius), True, "classic",
                                "OpenCV fluid-dynamics inpainting; needs the mask."),
        "median": Method(f"Median filter {median_size}x{median_size}",
                         functools.partial(median_filter, size=median_size), False, "classic",
                         "Median of each neighbourhood; no mask."),
        "nl_means": Method(f"Non-local means (h={'auto' if nlm_h is None else f'{nlm_h:g}'})",
                           functools.partial(nl_means, h=nlm_h), False, "classic",
                           "Averages similar patches; no mask. For additive noise only.", denoiser=True),
    }


def model_method(name: str, model, keep_known: bool = False) -> Method:
    """An autoencoder as a restorer: reconstruct the corrupted image. keep_known pastes the reconstruction only
    inside the mask and keeps every pixel the corruption did not touch (so it needs the mask)."""

    def restore(x_corrupt: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        x_hat = reconstruct(model, x_corrupt)
        if not keep_known:
            return x_hat
        if mask is None:
            raise ValueError(f"{name} with known pixels kept needs the mask of the damaged pixels.")
        return torch.where(mask, x_hat, x_corrupt)

    if keep_known:
        return Method(f"{name} + known pixels", restore, True, "model",
                      "The model's output pasted inside the mask only; the untouched pixels are kept.")
    return Method(name, restore, False, "model", "The model's whole reconstruction of the corrupted image.")


def skip_reason(method: Method, corruption: str) -> str | None:
    """Why method does not apply to this corruption, or None when it does."""
    info = CORRUPTION_INFO[corruption]
    if method.needs_mask and not info.local:
        # Inpainting needs part of the image intact: Gaussian noise touches every pixel.
        return "inpainting fills damaged pixels from intact ones, and this corruption touches every pixel"
    if method.denoiser and info.blanks:
        return ("a denoiser for additive noise has no noise to remove where pixels are blanked (its estimate of the "
                "noise is 0 and it returns the input as it was)")
    return None


def applicable(methods: dict[str, Method], corruption: str) -> tuple[dict[str, Method], dict[str, str]]:
    """(methods that make sense for this corruption, {name: why} for those skipped)."""
    reasons = {key: skip_reason(m, corruption) for key, m in methods.items()}
    return ({key: m for key, m in methods.items() if reasons[key] is None},
            {methods[key].name: why for key, why in reasons.items() if why is not None})


def changed_images(x: torch.Tensor, x_corrupt: torch.Tensor) -> torch.Tensor:
    """(N,) bool: the images the corruption changed. A black box on blank background changes nothing: there is
    nothing to restore, and the unrestored input would score a perfect PSNR, so the tables leave such images out."""
    return (x_corrupt != x).flatten(1).any(1)


# (column, inside the mask?, higher is better?)
METRICS: list[tuple[str, bool, bool]] = [
    ("MSE", False, False), ("PSNR (dB)", False, True), ("SSIM", False, True),
    ("MSE in mask", True, False), ("PSNR in mask (dB)", True, True), ("SSIM in mask", True, True),
]
HIGHER_IS_BETTER = {column: higher for column, _, higher in METRICS}
REFERENCE = "(corrupted, not restored)"


def _nanmean(values: torch.Tensor) -> float:
    return float(torch.nanmean(values)) if not torch.isnan(values).all() else math.nan


def score(x_hat: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> dict[str, float]:
    """The METRICS columns for a batch, each the mean over the images of the per-image score (aelab.analysis.metrics:
    PSNR is the mean of each image's 10 log10(1 / MSE_i), as evaluate() reports it; SSIM is scikit-image's
    whole-image SSIM, or the SSIM map's mean inside the mask). Images with an empty mask are left out of the in-mask
    means."""
    row = {}
    squared_error, similarity = (x_hat.clamp(0, 1) - x).pow(2), ssim_map(x_hat, x)  # each computed once
    for suffix, region in (("", None), (" in mask", mask)):
        per_image_mse = masked_mean(squared_error, region)
        row["MSE" + suffix] = _nanmean(per_image_mse)
        row["PSNR" + suffix + " (dB)"] = _nanmean(psnr_of_each(per_image_mse))
        row["SSIM" + suffix] = _nanmean(mean_ssim(similarity, region))
    return {column: row[column] for column, _, _ in METRICS}


def restore_all(methods: dict[str, Method], x_corrupt: torch.Tensor, mask: torch.Tensor,
                on_progress: Progress | None = None) -> dict[str, tuple[torch.Tensor, float]]:
    """key -> (restored images, seconds taken), each method given the mask only if it needs it."""
    results = {}
    for i, (key, method) in enumerate(methods.items()):
        if on_progress:
            on_progress(i / max(len(methods), 1), f"Restoring with {method.name}")
        started = time.perf_counter()
        restored = method.restore(x_corrupt, mask if method.needs_mask else None)
        results[key] = (restored, time.perf_counter() - started)
    return results


def score_table(x: torch.Tensor, x_corrupt: torch.Tensor, mask: torch.Tensor, methods: dict[str, Method],
                on_progress: Progress | None = None) -> list[dict]:
    """One row per method (plus the corrupted input as a reference, first): method, kind, needs_mask, every
    METRICS column averaged over the images the corruption changed (see `changed_images`), their number as images,
    and ms_per_image. x, x_corrupt: (N, 1, H, W); mask bool (N, 1, H, W). NaN scores when no image changed."""
    changed = changed_images(x, x_corrupt)
    x, x_corrupt, mask = x[changed], x_corrupt[changed], mask[changed]
    n = int(changed.sum())
    rows = [{"method": REFERENCE, "kind": "reference", "needs_mask": False, **score(x_corrupt, x, mask),
             "images": n, "ms_per_image": 0.0}]
    for key, (restored, seconds) in restore_all(methods, x_corrupt, mask, on_progress).items():
        method = methods[key]
        rows.append({"method": method.name, "kind": method.kind, "needs_mask": method.needs_mask,
                     **score(restored, x, mask), "images": n, "ms_per_image": 1000 * seconds / max(n, 1)})
    if on_progress:
        on_progress(1.0, "Scored")
    return rows


def best_per_column(rows: Sequence[dict], rel_tol: float = 1e-6) -> dict[str, list[str]]:
    """METRICS column -> the names of the best methods (all that tie with the best; the unrestored reference never
    counts). A model with its known pixels kept ties with the model itself inside the mask, by construction."""
    best = {}
    for column, higher in HIGHER_IS_BETTER.items():
        candidates = [r for r in rows if r["kind"] != "reference" and not math.isnan(r[column])]
        if candidates:
            top = (max if higher else min)(r[column] for r in candidates)
            best[column] = [r["method"] for r in candidates if math.isclose(r[column], top, rel_tol=rel_tol)]
    return best


def psnr_sweep(x: torch.Tensor, corruption: str, strengths: Sequence[float], methods: dict[str, Method],
               seed: int = 0, on_progress: Progress | None = None, **options) -> list[dict]:
    """PSNR of each method at each strength of one corruption: rows of strength, method, kind, PSNR (dB), PSNR in
    mask (dB), SSIM, images (how many the corruption changed: only those are scored, as in `score_table`). The same
    seed at every strength, so the curves differ only by the strength. options go to the corruption (box's value,
    for instance)."""
    rows = []
    steps = max(len(strengths) * (len(methods) + 1), 1)
    for s, strength in enumerate(strengths):
        x_corrupt, mask = apply_corruption(corruption, x, strength, torch.Generator().manual_seed(seed), **options)
        changed = changed_images(x, x_corrupt)
        x_changed, x_corrupt, mask = x[changed], x_corrupt[changed], mask[changed]
        outputs = {REFERENCE: ("reference", x_corrupt)}
        for m, method in enumerate(methods.values()):
            if on_progress:
                on_progress((s * (len(methods) + 1) + m) / steps, f"strength {strength:g}: {method.name}")
            outputs[method.name] = (method.kind, method.restore(x_corrupt, mask if method.needs_mask else None))
        for name, (kind, restored) in outputs.items():
            scores = score(restored, x_changed, mask)
            rows.append({"strength": float(strength), "method": name, "kind": kind,
                         **{c: scores[c] for c in ("PSNR (dB)", "PSNR in mask (dB)", "SSIM")},
                         "images": int(changed.sum())})
    if on_progress:
        on_progress(1.0, "Sweep done")
    return rows
