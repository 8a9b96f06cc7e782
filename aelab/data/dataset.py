"""A Dataset (images and labels split into train and test, with the identity caches key on) and how arrays become
one: images checked and scaled to [0, 1], labels numbered from the distinct values present, a seeded stratified split
when there is no test split. torch is imported where tensors are made, not with the module: what the sources are
(aelab.data.sources.list_sources, the sidebar) is told without it."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from aelab.data.factors import Factors
from aelab.data.validation import MAX_CLASSES, MAX_IMAGES, check_image_dtype, check_image_shape
from aelab.errors import DataError
from aelab.runtime.identity import content_identity, is_named_source

if TYPE_CHECKING:
    import torch

SPLIT_SEED = 20_240_601  # fixed: changing it changes every split below, and the pinned hashes in the tests
TEST_FRACTION = 0.2
# Part of every named source's identity: bump it when a loader's output changes (its conversion, its split), so
# results cached for the old images are never served for the new ones.
SOURCE_VERSION = f"v1-split{SPLIT_SEED}-{TEST_FRACTION}"


@dataclass(frozen=True)
class Dataset:
    """Images and labels, split into train and test. Treat the tensors as read-only: they may be shared.

    x_train, x_test: (N, 1, H, W) float32 in [0, 1]. y_train, y_test: (N,) int64 class index, -1 where
    unlabelled. class_names[k] names class k; () when the data has no labels.

    identity names the content for caches (see aelab.runtime.identity): a named source's loader gives its name and
    version; otherwise (an upload, data built in code) it is the SHA-256 of the arrays, computed once, here.
    factors: the known generative factors of each image, row for row with the splits (the shapes source), else None.
    """

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    class_names: tuple[str, ...]
    identity: str = ""
    factors: Factors | None = None

    def __post_init__(self) -> None:
        import torch

        for x, y in ((self.x_train, self.y_train), (self.x_test, self.y_test)):
            if x.dtype != torch.float32 or x.ndim != 4 or x.shape[1] != 1 or x.shape[2:] != self.x_train.shape[2:]:
                raise DataError(f"Dataset {self.name!r}: images must be (N, 1, H, W) float32 of one size, "
                                f"got {tuple(x.shape)} {x.dtype}.")
            if y.dtype != torch.int64 or y.shape != x.shape[:1]:
                raise DataError(f"Dataset {self.name!r}: labels must be (N,) int64 matching the images, "
                                f"got {tuple(y.shape)} {y.dtype}.")
        if self.factors is not None:
            self.factors.check_counts(len(self.x_train), len(self.x_test), self.name)
        if not self.identity:
            arrays = [("x_train", self.x_train), ("y_train", self.y_train), ("x_test", self.x_test),
                      ("y_test", self.y_test)]
            classes = np.array(self.class_names, dtype=np.str_)
            object.__setattr__(self, "identity", content_identity([*arrays, ("class_names", classes)]))

    @property
    def named_source(self) -> bool:
        """Whether this is a shipped or downloaded source (the same for everyone), not data someone brought."""
        return is_named_source(self.identity)

    @property
    def image_size(self) -> tuple[int, int]:
        """(H, W) of every image."""
        return int(self.x_train.shape[2]), int(self.x_train.shape[3])

    def split(self, which: str) -> tuple[torch.Tensor, torch.Tensor]:
        """``"train"`` or ``"test"`` -> (x (N, 1, H, W), y (N,))."""
        splits = {"train": (self.x_train, self.y_train), "test": (self.x_test, self.y_test)}
        if which not in splits:
            raise DataError(f"Unknown split {which!r}; valid splits: {', '.join(splits)}.")
        return splits[which]


def class_name(class_names: Sequence[str], label: int) -> str:
    """What a page says of label: its class's name, its number past the named classes, or "unlabelled" (-1)."""
    if label < 0:
        return "unlabelled"
    return class_names[label] if label < len(class_names) else str(label)


def split_indices(
    y: np.ndarray, test_fraction: float = TEST_FRACTION, seed: int = SPLIT_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """A seeded split stratified by label: (train_idx, test_idx), disjoint, covering ``range(len(y))``.

    Each class sends round(count * test_fraction) of its members to test (at least one image overall), chosen
    by ``numpy.random.default_rng(seed)`` visiting classes in sorted order, so the split is identical on every
    machine. Both index arrays come back shuffled, so neighbouring images are of mixed classes.
    """
    y = np.asarray(y)
    if len(y) < 2:
        raise DataError(f"A train/test split needs at least 2 images, got {len(y)}.")
    rng = np.random.default_rng(seed)
    train_parts, test_parts = [], []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        n_test = int(len(members) * test_fraction + 0.5)
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    train_idx, test_idx = np.concatenate(train_parts), np.concatenate(test_parts)
    if len(test_idx) == 0:  # every class too small to give one image: take one anyway
        train_idx, test_idx = train_idx[1:], train_idx[:1]
    return rng.permutation(train_idx), rng.permutation(test_idx)


# ---- named sources -------------------------------------------------------------------------------------


def build_dataset(name: str, x_train, y_train, x_test, y_test, *, class_names: tuple[str, ...] | None,
                   label: str, identity: str = "") -> Dataset:
    """Validate numpy arrays and assemble a Dataset; without ``x_test``, split ``x_train`` 80/20.

    ``class_names=None`` names the distinct labels present (or () when nothing is labelled; see _index_labels).
    ``identity``: a named source's (see :func:`source_identity`); empty for user data, which the Dataset names by
    its content.
    """
    part = "" if x_test is None else "training "  # without a test split, these are all the images
    x_train = _as_images(x_train, f"{label}: {part}images")
    y_train = _as_labels(y_train, len(x_train), f"{label}: {part}labels")
    if x_test is None:
        train_idx, test_idx = split_indices(y_train)
        x_test, y_test = x_train[test_idx], y_train[test_idx]
        x_train, y_train = x_train[train_idx], y_train[train_idx]
    else:
        x_test = _as_images(x_test, f"{label}: test images")
        y_test = _as_labels(y_test, len(x_test), f"{label}: test labels")
        if x_test.shape[1:] != x_train.shape[1:]:
            raise DataError(
                f"{label}: test images are {x_test.shape[1:]} but training images are {x_train.shape[1:]}."
            )
    if len(x_train) + len(x_test) > MAX_IMAGES:
        raise DataError(f"{label} holds {len(x_train) + len(x_test):,} images, more than the {MAX_IMAGES:,} allowed.")
    top_label = int(max(y_train.max(initial=-1), y_test.max(initial=-1)))
    if class_names is None:
        y_train, y_test, class_names = _index_labels(y_train, y_test, label)
    elif top_label >= len(class_names):
        raise DataError(f"{label}: label {top_label} has no class name; there are {len(class_names)} classes.")
    import torch

    return Dataset(name, _to_tensor(x_train), torch.from_numpy(y_train), _to_tensor(x_test), torch.from_numpy(y_test),
                   tuple(class_names), identity)


def _index_labels(y_train: np.ndarray, y_test: np.ndarray, label: str
                  ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Class names from the distinct labels present (at most MAX_CLASSES; the values are otherwise free, so one
    label of 10**12 costs nothing), labels renumbered 0..K-1 in their sorted order; -1 (unlabelled) is kept."""
    values = np.unique(np.concatenate([y_train, y_test]))
    values = values[values >= 0]
    if len(values) > MAX_CLASSES:
        raise DataError(f"{label} has {len(values):,} distinct labels, more than the {MAX_CLASSES:,} classes "
                        "allowed.")
    names = tuple(str(v) for v in values)
    if np.array_equal(values, np.arange(len(values))):  # already 0..K-1: nothing to renumber
        return y_train, y_test, names

    def renumber(y: np.ndarray) -> np.ndarray:
        return np.where(y >= 0, np.searchsorted(values, y), -1).astype(np.int64)

    return renumber(y_train), renumber(y_test), names


def _as_images(x: np.ndarray, what: str) -> np.ndarray:
    """Check (aelab.data.validation: dtype, layout, count, sides) and reshape to (N, H, W): uint8 unchanged, other
    ints in 0-255 as uint8, floats in [0, 1] as float32."""
    x = np.asarray(x)
    check_image_dtype(x.dtype, what)
    x = x.reshape(check_image_shape(x.shape, what))
    if np.issubdtype(x.dtype, np.floating):
        if not np.isfinite(x).all():
            raise DataError(f"{what} contain NaN or infinite values.")
        if x.min() < 0 or x.max() > 1:
            raise DataError(
                f"{what} are floats in [{x.min():g}, {x.max():g}], outside [0, 1] (divide 0-255 data by 255)."
            )
        return x.astype(np.float32, copy=False)
    if x.min() < 0 or x.max() > 255:
        raise DataError(f"{what} are integers in [{x.min()}, {x.max()}], outside 0-255.")
    return x.astype(np.uint8, copy=False)


def _as_labels(y: np.ndarray | None, count: int, what: str) -> np.ndarray:
    """(count,) int64 labels >= 0, or -1 for unlabelled; all -1 when ``y`` is None."""
    if y is None:
        return np.full(count, -1, dtype=np.int64)
    y = np.asarray(y)
    if y.dtype == np.bool_ or not np.issubdtype(y.dtype, np.integer) or y.ndim != 1:
        raise DataError(f"{what} must be a 1-D array of integers, got shape {y.shape} of {y.dtype}.")
    if len(y) != count:
        raise DataError(f"{what} number {len(y):,} but there are {count:,} images.")
    if len(y) and y.min() < -1:
        raise DataError(f"{what} include {y.min()}; labels are class numbers from 0 (or -1 for unlabelled).")
    return y.astype(np.int64)


def _to_tensor(images: np.ndarray) -> torch.Tensor:
    """(N, H, W) uint8 0-255 or float32 0-1 -> (N, 1, H, W) float32 in [0, 1]."""
    import torch

    tensor = torch.from_numpy(np.ascontiguousarray(images)).unsqueeze(1)
    if tensor.dtype == torch.uint8:
        return tensor.to(torch.float32).div_(255.0)  # in place: one float copy of the images at a time, not two
    return tensor.to(torch.float32).contiguous()
