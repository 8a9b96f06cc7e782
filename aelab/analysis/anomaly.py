"""Anomaly detection by reconstruction error: an autoencoder reconstructs well only what resembles its training data,
so the per-image error separates the test split from out-of-distribution (OOD) inputs.

Shapes: x: (N, 1, H, W) in [0, 1]; errors: (N,) per-image mean squared error. The separation is scored by the ROC AUC
of the error as an anomaly score: the chance that a random OOD image has a larger error than a random test image
(0.5 = no better than a coin, 1 = perfect).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from aelab.analysis.latent import reconstruction_errors
from aelab.data.corruption import gaussian_noise, salt_and_pepper

OTHER_PREFIX = "other dataset: "
# Sources that are the same distribution under another name, so never "another dataset" for each other.
SAME_DISTRIBUTION = [{"mnist", "mnist-5k"}]
# The fraction of the side an MNIST digit fills (20 of 28 pixels; the rest is the empty margin MNIST was made with).
MNIST_DIGIT_FRACTION = 20 / 28


def pure_noise(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Uniform noise images of x's shape: nothing like a digit."""
    return torch.rand(x.shape, generator=generator)


def heavily_corrupted(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The test images under Gaussian noise (sigma 0.4) and then 20% salt and pepper: the digit is still there."""
    noisy, _ = gaussian_noise(x, 0.4, generator)
    return salt_and_pepper(noisy, 0.2, generator)[0]


def inverted(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """1 - x: the same strokes, white background. Pixel for pixel as far from the data as an image can be."""
    return 1.0 - x


# name -> (description, function(test images, generator) -> OOD images of the same shape)
SYNTHETIC_OOD: dict[str, tuple[str, Callable[[torch.Tensor, torch.Generator], torch.Tensor]]] = {
    "pure noise": ("uniform random pixels", pure_noise),
    "heavily corrupted digits": ("test images with Gaussian noise (sigma 0.4) and 20% salt and pepper",
                                 heavily_corrupted),
    "inverted digits": ("test images with black and white swapped", inverted),
}


def resize_images(x: torch.Tensor, image_size: tuple[int, int], content_fraction: float = 1.0) -> torch.Tensor:
    """x: (N, 1, h, w) -> (N, 1, H, W), scaled (area averaging down, bilinear up).

    content_fraction < 1: the image fills that fraction of each side, centred on a black margin (20/28 frames 8x8
    digits the way MNIST frames its own, a 20x20 digit in a 28x28 image, so the other dataset differs in style
    rather than in framing alone). content_fraction > 1: the central 1/content_fraction of the image is kept (an
    MNIST-style margin cut away before shrinking to 8x8)."""
    height, width = image_size
    if content_fraction > 1:
        keep_h, keep_w = round(x.shape[-2] / content_fraction), round(x.shape[-1] / content_fraction)
        top, left = (x.shape[-2] - keep_h) // 2, (x.shape[-1] - keep_w) // 2
        x, content_fraction = x[..., top:top + keep_h, left:left + keep_w], 1.0
    inner = (max(1, round(height * content_fraction)), max(1, round(width * content_fraction)))
    if tuple(x.shape[-2:]) != inner:
        shrinking = inner[0] < x.shape[-2]
        x = F.interpolate(x, size=inner, mode="area" if shrinking else "bilinear",
                          **({} if shrinking else {"align_corners": False})).clamp(0, 1)
    top, left = (height - inner[0]) // 2, (width - inner[1]) // 2
    return F.pad(x, (left, width - inner[1] - left, top, height - inner[0] - top))


def content_fraction(source: str, target: str) -> float:
    """How much of the side the source's images should fill when shown at the target's size: 8x8 digits (no margin)
    into an MNIST-style 28x28 frame get MNIST's margin; MNIST-style images shrunk to 8x8 lose theirs."""
    framed = {"mnist", "mnist-5k", "fashion-mnist", "kmnist"}
    if source == "digits" and target in framed:
        return MNIST_DIGIT_FRACTION
    if source in framed and target == "digits":
        return 1 / MNIST_DIGIT_FRACTION  # keep the central 20/28: the margin is cut away
    return 1.0


def other_dataset_names(current: str, available: list[str]) -> list[str]:
    """The datasets (among available, e.g. bundled and downloaded sources) that can serve as OOD for current."""
    same = next((group for group in SAME_DISTRIBUTION if current in group), {current})
    return [name for name in available if name not in same]


def other_dataset_images(images: torch.Tensor, source: str, target: str, image_size: tuple[int, int], n: int,
                         seed: int = 0) -> torch.Tensor:
    """n images of another dataset (images: its (M, 1, h, w) test split) at image_size, drawn with seed."""
    generator = torch.Generator().manual_seed(seed)
    pick = torch.randperm(images.shape[0], generator=generator)[:n]
    return resize_images(images[pick], image_size, content_fraction(source, target))


def roc_auc(in_scores: torch.Tensor | np.ndarray, out_scores: torch.Tensor | np.ndarray) -> float:
    """Area under the ROC curve of a score that should be higher for out-of-distribution inputs: the Mann-Whitney
    statistic P(out > in) + P(out = in) / 2, from average ranks so ties count half."""
    a, b = np.asarray(in_scores, dtype=np.float64), np.asarray(out_scores, dtype=np.float64)
    if len(a) == 0 or len(b) == 0:
        raise ValueError("ROC AUC needs at least one in-distribution and one out-of-distribution score.")
    values = np.concatenate([a, b])
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    sorted_values = values[order]
    # average the ranks of tied values
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    for start, end in zip(starts, ends):
        if end - start > 1:
            ranks[order[start:end]] = (start + 1 + end) / 2
    rank_sum_out = ranks[len(a):].sum()
    return float((rank_sum_out - len(b) * (len(b) + 1) / 2) / (len(a) * len(b)))


def roc_curve(in_scores: torch.Tensor | np.ndarray, out_scores: torch.Tensor | np.ndarray):
    """(false positive rate, true positive rate) arrays, one point per distinct threshold from the highest score
    down, starting at (0, 0) and ending at (1, 1). A point flags every image whose score is >= the threshold."""
    a, b = np.sort(np.asarray(in_scores, dtype=np.float64)), np.sort(np.asarray(out_scores, dtype=np.float64))
    thresholds = np.unique(np.concatenate([a, b]))[::-1]
    fpr = 1 - np.searchsorted(a, thresholds, side="left") / len(a)
    tpr = 1 - np.searchsorted(b, thresholds, side="left") / len(b)
    return np.r_[0.0, fpr], np.r_[0.0, tpr]


def available_other_datasets(current: str) -> list[str]:
    """Names of the sources on this machine (bundled, or downloaded) that are another distribution than current."""
    from aelab.data.sources import list_sources

    on_disk = [info.name for info in list_sources() if info.status != "needs download"]
    return other_dataset_names(current, on_disk)


def other_dataset_ood(current: str, image_size: tuple[int, int], names: list[str], n: int,
                      seed: int = 0) -> dict[str, torch.Tensor]:
    """OTHER_PREFIX + name -> up to n images of each named source (both splits: the model never saw any of them),
    fitted to image_size."""
    from aelab.data.sources import load_dataset

    sets = {}
    for name in names:
        source = load_dataset(name)
        images = torch.cat([source.x_test, source.x_train])
        sets[OTHER_PREFIX + name] = other_dataset_images(images, name, current, image_size, n, seed)
    return sets


@dataclass
class AnomalyReport:
    """errors: set name -> (N,) per-image reconstruction errors; "test" is the in-distribution test split.
    auc: OOD set name -> ROC AUC against the test split."""

    errors: dict[str, torch.Tensor]
    auc: dict[str, float]


def least_and_most_typical(errors: torch.Tensor | np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices of the k images with the smallest error, of the k with the largest), the most extreme first. Ties
    keep the images' order, so the answer is the same on every run."""
    order = np.argsort(np.asarray(errors), kind="stable")
    k = max(0, min(int(k), len(order)))
    return order[:k], order[::-1][:k]


def anomaly_report(model, x_test: torch.Tensor, ood: dict[str, torch.Tensor],
                   on_progress: Callable[[float, str], None] | None = None) -> AnomalyReport:
    """Reconstruction errors of the test split and of every OOD set, and each set's ROC AUC against the test split."""
    errors = {"test": reconstruction_errors(model, x_test)}
    for i, (name, images) in enumerate(ood.items()):
        if on_progress:
            on_progress(i / max(len(ood), 1), f"Reconstructing {name}")
        errors[name] = reconstruction_errors(model, images)
    auc = {name: roc_auc(errors["test"], errors[name]) for name in ood}
    return AnomalyReport(errors, auc)


def synthetic_ood(x_test: torch.Tensor, names: list[str], seed: int = 0) -> dict[str, torch.Tensor]:
    """The chosen synthetic OOD sets, each as many images as x_test, each from its own seeded generator (so adding a
    set does not change another)."""
    unknown = [name for name in names if name not in SYNTHETIC_OOD]
    if unknown:
        raise ValueError(f"Unknown OOD set(s) {', '.join(unknown)}; valid: {', '.join(SYNTHETIC_OOD)}.")
    return {name: SYNTHETIC_OOD[name][1](x_test, torch.Generator().manual_seed(seed + i))
            for i, name in enumerate(SYNTHETIC_OOD) if name in names}
