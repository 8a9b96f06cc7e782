"""What autoencoders are for, on the bundled data: the shipped models each Applications section uses, and each
section's headline computation (the CLI, the bench and the tests call these; the page calls the same pieces with its
own settings and a progress bar).

Sections: compression (rate-distortion against JPEG and WebP, on the training data and on data the models never saw),
super-resolution, watermark removal, memorisation with a 1-D code.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from aelab.analysis.compression import (
    DEFAULT_BITS,
    DEFAULT_QUALITIES,
    advantage,
    best_advantage,
    check_bits,
    check_qualities,
    rate_distortion,
)
from aelab.analysis.superres import check_opacity, check_upscaling, superres_table, watermark_table
from aelab.errors import ConfigError
from aelab.lessons.memorisation import MEMORISE_MODEL, N_HELD_OUT, measure, memorised_images

Progress = Callable[[float, str], None]

# The shipped models (pretrained/NAME, built by `python -m aelab build-pretrained`), all trained on mnist-5k.
COMPRESSION_MODELS = {"AE d=16": "ae", "AE d=32": "compress-ae-32", "AE d=64": "compress-ae-64"}
SUPERRES_MODEL = "superres-ae"  # trained on the lowres corruption at factor 2 (14x14 -> 28x28)
SUPERRES_FACTOR = 2
WATERMARK_MODEL = "watermark-ae"  # trained on stamps at opacity WATERMARK_OPACITY
PLAIN_MODEL = "ae"  # the plain autoencoder it is compared with
WATERMARK_OPACITY = 0.6
TRAINED_ON = "mnist-5k"
OTHER_DATA = "shapes"  # data none of them was trained on: rendered shapes instead of digits
SECTIONS = ("compression", "superres", "watermark", "memorisation")


def shipped(name: str):
    """A shipped model's record (weights checked), by its folder name under pretrained/."""
    from aelab.library.store import PRETRAINED_ROOT, load_model

    return load_model(PRETRAINED_ROOT / name, pretrained=True)


def check_count(n, limit: int, what: str = "test images") -> int:
    """n as a whole number from 1 to limit, or a ConfigError."""
    if isinstance(n, bool) or not float(n).is_integer() or not 1 <= int(n) <= limit:
        raise ConfigError(f"The number of {what} must be a whole number from 1 to {limit}, got {n!r}.")
    return int(n)


@dataclass(frozen=True)
class CompressionResult:
    rows: dict[str, list[dict]]  # dataset name -> rate_distortion rows
    advantages: dict[str, list[dict]]  # dataset name -> advantage rows against JPEG at equal payload bytes
    best: dict[str, float]  # dataset name -> the largest AE-minus-JPEG PSNR at equal payload bytes (dB)


def compression(datasets: dict[str, object], models: dict[str, object], x_train: torch.Tensor, n: int = 300,
                bits=DEFAULT_BITS, qualities=DEFAULT_QUALITIES, on_progress: Progress | None = None
                ) -> CompressionResult:
    """Rate-distortion of each model (quantisers fitted on x_train, the models' own training split) and of JPEG and
    WebP on the first n test images of each dataset."""
    bits, qualities = check_bits(bits), check_qualities(qualities)
    rows, adv, best = {}, {}, {}
    for i, (name, dataset) in enumerate(datasets.items()):
        x = dataset.x_test[:check_count(n, len(dataset.x_test))]
        part = _part(on_progress, i, len(datasets), name)
        rows[name] = rate_distortion(models, {m: x_train for m in models}, x, bits, qualities, part)
        adv[name], best[name] = advantage(rows[name]), best_advantage(rows[name])
    return CompressionResult(rows, adv, best)


def _part(on_progress: Progress | None, i: int, total: int, label: str) -> Progress | None:
    if on_progress is None:
        return None
    return lambda fraction, text: on_progress((i + fraction) / total, f"{label}: {text}")


def superres(dataset, model, factor: int = SUPERRES_FACTOR, n: int = 500,
             on_progress: Progress | None = None) -> list[dict]:
    factor = check_upscaling(factor, dataset.image_size)
    return superres_table(model, dataset.x_test[:check_count(n, len(dataset.x_test))], factor, on_progress)


def watermark(dataset, trained, plain, opacity: float = WATERMARK_OPACITY, n: int = 500, seed: int = 0,
              on_progress: Progress | None = None) -> list[dict]:
    x = dataset.x_test[:check_count(n, len(dataset.x_test))]
    return watermark_table(trained, plain, x, check_opacity(opacity), seed, on_progress)[0]


def memorisation(dataset, model=None, n_test: int = N_HELD_OUT):
    """The MemorisationReport of the shipped memorising model on its training images and n_test test images."""
    model = model if model is not None else shipped(MEMORISE_MODEL).model
    return measure(model, memorised_images(dataset.x_train), dataset.x_test, check_count(n_test, len(dataset.x_test)))
