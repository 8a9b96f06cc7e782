"""Memorisation with a one-dimensional code: "an autoencoder with a one-dimensional code and a very powerful nonlinear
encoder can learn to map x(i) to code i" (the course deck). A deep MLP with latent size 1 trained on a few dozen
images reconstructs them almost exactly and every other image badly: it has learnt a lookup table, not digits.

The shipped model (pretrained/MEMORISE_MODEL) is trained on the first N_MEMORISED images of mnist-5k's train split;
these functions measure it, place its training images on the code line, and decode the line between them.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from aelab.analysis.latent import decode, encode_dataset, reconstruct
from aelab.analysis.metrics import mse
from aelab.errors import ConfigError

MEMORISE_MODEL = "memorise-1d"
N_MEMORISED = 32  # the images it was trained on: the first 32 of the train split
N_HELD_OUT = 500  # test images it never saw
LINE_STEPS_LIMITS = (2, 200)


@dataclass(frozen=True)
class MemorisationReport:
    train_mse: float  # mean over the memorised images of each one's MSE per pixel
    test_mse: float  # the same over N_HELD_OUT test images
    codes: torch.Tensor  # (n,) the memorised images' 1-D codes, in training-set order
    n_train: int
    n_test: int

    @property
    def ratio(self) -> float:
        """train MSE / test MSE: near 0 when the model memorised."""
        return self.train_mse / max(self.test_mse, 1e-12)


def memorised_images(x_train: torch.Tensor, n: int = N_MEMORISED) -> torch.Tensor:
    """The images the memorising model was trained on: the first n of the train split, (n, 1, H, W)."""
    return x_train[:n]


def check_one_dimensional(model) -> None:
    if model.latent_dim != 1:
        raise ConfigError(f"Memorisation along a line needs a model with a 1-D code; this one has {model.latent_dim}.")


def measure(model, x_memorised: torch.Tensor, x_test: torch.Tensor, n_test: int = N_HELD_OUT) -> MemorisationReport:
    """Reconstruction error on the memorised images against held-out ones, and the memorised images' codes."""
    check_one_dimensional(model)
    x_test = x_test[:n_test]
    train_mse = float(mse(reconstruct(model, x_memorised), x_memorised).mean())
    test_mse = float(mse(reconstruct(model, x_test), x_test).mean())
    codes = encode_dataset(model, x_memorised)[:, 0]
    return MemorisationReport(train_mse, test_mse, codes, len(x_memorised), len(x_test))


def line_range(codes: torch.Tensor, margin: float = 0.05) -> tuple[float, float]:
    """The code axis from the smallest to the largest memorised code, widened by margin of the span each side."""
    low, high = float(codes.min()), float(codes.max())
    pad = margin * max(high - low, 1e-6)
    return low - pad, high + pad


def decode_line(model, low: float, high: float, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(codes (steps,), decoded images (steps, 1, H, W)) evenly spaced from low to high along the 1-D code."""
    check_one_dimensional(model)
    if not LINE_STEPS_LIMITS[0] <= int(steps) <= LINE_STEPS_LIMITS[1]:
        raise ConfigError(f"The number of steps along the line must be from {LINE_STEPS_LIMITS[0]} to "
                          f"{LINE_STEPS_LIMITS[1]}, got {steps}.")
    z = torch.linspace(float(low), float(high), int(steps))
    return z, decode(model, z.view(-1, 1))


def decode_at(model, code: float) -> torch.Tensor:
    """The image at one point of the code line, (1, 1, H, W)."""
    check_one_dimensional(model)
    return decode(model, torch.tensor([[float(code)]]))


def halfway_codes(codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(order, midpoints): the memorised images' indices sorted by code, and the n - 1 codes halfway between each
    pair of neighbours on the line, which no training image has."""
    order = torch.argsort(codes)
    ranked = codes[order]
    return order, (ranked[:-1] + ranked[1:]) / 2
