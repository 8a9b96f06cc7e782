"""What a user's data costs in memory, and the budget it must fit, costed from the shapes its files declare.

A Dataset holds its images as float32 (N, 1, H, W) and its labels as int64 (N,), whatever the file stored: a 0.8 MB
compressed file of 200,000 blank 64x64 images becomes 3.3 GB of floats. So the readers (aelab.data.userdata) charge
each image array's declared shape to a Tally before its data is read or decompressed, and the array that would take
the total past the budget is refused with one message naming the budget. A class server gives each upload and each
session a budget (AELAB_UPLOAD_BUDGET_MB, AELAB_SESSION_BUDGET_MB, in MiB); the CLI applies the per-upload budget to
a user's file unless --no-budget lifts it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from aelab.data.validation import check_image_dtype, check_image_shape
from aelab.errors import DataError

IMAGE_BYTES = 4  # float32 per pixel: how a Dataset holds images, whatever the file stored
LABEL_BYTES = 8  # int64 per image, labelled or not (-1)
MIB = 2**20
# 40 students on a 24 GB server: their uploads hold at most 40 x 320 MiB = 13.4 GB at once, leaving the rest for the
# server, its caches and the trainings (the README's "Limits on a class server" adds it up). 256 MiB for one upload
# admits a whole MNIST (70,000 28x28 images: 210 MiB as floats).
UPLOAD_BUDGET_MB = 256
SESSION_BUDGET_MB = 320


def held_bytes(n_images: int, height: int, width: int) -> int:
    """Bytes a Dataset of n_images images of height x width holds: float32 pixels and an int64 label each."""
    return n_images * (height * width * IMAGE_BYTES + LABEL_BYTES)


def dataset_bytes(dataset) -> int:
    """Bytes a Dataset's tensors hold (what held_bytes predicted for it from its file's headers)."""
    return sum(t.numel() * t.element_size() for t in (dataset.x_train, dataset.y_train, dataset.x_test,
                                                       dataset.y_test))


def mib(n_bytes: int) -> str:
    """Bytes as a person reads them: "3,125 MiB", "0.4 MiB"."""
    return f"{n_bytes / MIB:,.0f} MiB" if n_bytes >= 10 * MIB else f"{n_bytes / MIB:.1f} MiB"


def _setting_mb(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    try:
        value = int(text) if text else default
    except ValueError:
        raise DataError(f"{name} must be a whole number of MiB, got {text!r}.") from None
    if value < 1:
        raise DataError(f"{name} must be at least 1 (MiB), got {value}.")
    return value


def upload_budget_bytes() -> int:
    """The most one upload (or one --data file on the CLI) may hold: $AELAB_UPLOAD_BUDGET_MB MiB."""
    return _setting_mb("AELAB_UPLOAD_BUDGET_MB", UPLOAD_BUDGET_MB) * MIB


def session_budget_bytes() -> int:
    """The most one browser session's uploads may hold together: $AELAB_SESSION_BUDGET_MB MiB."""
    return _setting_mb("AELAB_SESSION_BUDGET_MB", SESSION_BUDGET_MB) * MIB


@dataclass(frozen=True)
class Budget:
    """Limits on the bytes a user's data may hold, each with the words that name it in a refusal (e.g. "the 256 MiB
    allowed per upload (AELAB_UPLOAD_BUDGET_MB)"). No limits: anything the validation admits."""

    limits: tuple[tuple[int, str], ...] = ()

    def limited(self, n_bytes: int, name: str) -> Budget:
        """This budget with one more limit."""
        return Budget((*self.limits, (int(n_bytes), name)))

    def check(self, cost: int, what: str) -> None:
        """Refuse (DataError) a cost above any limit, naming the first one it exceeds."""
        for limit, name in self.limits:
            if cost > limit:
                raise DataError(f"{what} would take {mib(cost)} of memory as aelab holds it (32-bit floats), "
                                f"more than {name}.")


UNLIMITED = Budget()


def upload_budget(hint: str = "") -> Budget:
    """The per-upload budget from the settings; hint is added to its name (e.g. how to lift it)."""
    limit = upload_budget_bytes()
    return Budget().limited(limit, f"the {mib(limit)} allowed per upload (AELAB_UPLOAD_BUDGET_MB){hint}")


class Tally:
    """The running cost of one file's image arrays, charged from their declared shapes as a reader meets them."""

    def __init__(self, budget: Budget = UNLIMITED) -> None:
        self.budget = budget
        self.bytes = 0

    def images(self, shape: tuple[int, ...], what: str, dtype=None) -> tuple[int, int, int]:
        """Validate a declared image shape (and dtype, where the header gives one) with aelab.data.validation, and
        charge what the images will hold; returns (N, H, W)."""
        if dtype is not None:
            check_image_dtype(dtype, what)
        n, height, width = check_image_shape(shape, what)
        cost = held_bytes(n, height, width)
        self.budget.check(self.bytes + cost, f"{what} ({n:,} of {height}x{width} pixels)")
        self.bytes += cost
        return n, height, width
