"""Read a user's own images into numpy arrays: a folder of IDX files, an ``.npz``, or a ``.zip`` of PNG/JPEG.

This module only reads; aelab.data.dataset checks values and builds the Dataset. Archives are recognised by content,
not by name, because uploads arrive as temporary files. Guards against hostile files, each checked from what a file
declares before anything big is read or allocated: archives whose members declare more than MAX_UNPACKED_BYTES are
refused before anything is unpacked; each .npy member's header (dtype, shape) is read before its data, so object
arrays (pickle) are refused unread; IDX headers are checked the same way before their (possibly gzip) payload is
inflated; an image member larger than MAX_IMAGE_FILE_BYTES is refused unread, and every image's size is read from its
header before any pixels are decoded. Each declared image shape goes through the one validation
(aelab.data.validation) and is charged to the caller's memory budget (aelab.data.budget) at that moment, before its
data is read: data too small for the pages, or too big for the budget, costs the server almost nothing to refuse.
"""

from __future__ import annotations

import io
import math
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from aelab.data.budget import UNLIMITED, Budget, Tally
from aelab.data.idx import read_idx
from aelab.data.validation import MAX_IMAGES, MAX_SIDE, check_label_shape
from aelab.errors import DataError

MAX_UNPACKED_BYTES = 1 << 30  # 1 GiB: fits MAX_IMAGES images of MAX_SIDE x MAX_SIDE uint8
MAX_IMAGE_FILE_BYTES = 4 << 20  # one PNG/JPEG of at most MAX_SIDE x MAX_SIDE pixels is far smaller than 4 MiB
IMAGE_ARRAYS, LABEL_ARRAYS = ("x", "x_train", "x_test"), ("y", "y_train", "y_test")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
_CORRUPT_ARCHIVE_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError)


@dataclass(frozen=True)
class RawImages:
    """Arrays as found in the user's file, not yet checked.

    x_*: images in any accepted layout; y_*: labels or None; x_test None when the file has no test split;
    class_names None when they are to be derived from the labels.
    """

    x_train: np.ndarray
    y_train: np.ndarray | None = None
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    class_names: tuple[str, ...] | None = None


def read_user_files(path: Path, label: str, budget: Budget = UNLIMITED) -> RawImages:
    """Read an IDX folder, an ``.npz`` or a ``.zip`` of images; ``label`` names the file in messages. Every image
    array's declared shape is validated and charged to ``budget`` before its data is read."""
    tally = Tally(budget)
    if path.is_dir():
        return _read_idx_folder(path, label, tally)
    if not path.is_file():
        raise DataError(f"{label} does not exist.")
    if not zipfile.is_zipfile(path):
        raise DataError(
            f"{label} is neither a .npz nor a .zip archive, or it is corrupt; "
            "give an IDX folder, a .npz or a .zip of PNG/JPEG images."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            if sum(info.file_size for info in members) > MAX_UNPACKED_BYTES:
                raise DataError(
                    f"{label} would unpack to more than {MAX_UNPACKED_BYTES:,} bytes, which aelab refuses."
                )
            # An .npz is a zip of .npy members; an empty one still counts as .npz when so named.
            all_npy = bool(members) and all(m.filename.endswith(".npy") for m in members)
            if not (all_npy or path.suffix.lower() == ".npz"):
                return _read_image_zip(archive, members, label, tally)
    except _CORRUPT_ARCHIVE_ERRORS as err:
        raise DataError(f"{label} is a corrupt zip archive ({err}).") from None
    return _read_npz(path, label, tally)


def _read_idx_folder(folder: Path, label: str, tally: Tally) -> RawImages:
    def find(stem: str) -> Path | None:
        # Also accept the "train-images.idx3-ubyte" spelling some re-distributions use.
        for base in (stem, stem.replace("-idx", ".idx")):
            for candidate in (folder / base, folder / f"{base}.gz"):
                if candidate.is_file():
                    return candidate
        return None

    stems = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    paths = [find(stem) for stem in stems]
    if paths[0] is None:
        raise DataError(f"{label} holds no train-images-idx3-ubyte[.gz] file, which an IDX folder needs.")
    if paths[2] is None and paths[3] is not None:
        raise DataError(f"{label} has t10k labels but no t10k-images-idx3-ubyte[.gz] file for them.")
    checks = (tally.images, check_label_shape, tally.images, check_label_shape)
    arrays = [None if p is None else read_idx(p, max_bytes=MAX_UNPACKED_BYTES,
                                              check_shape=lambda shape, name, check=check: check(shape, name))
              for p, check in zip(paths, checks)]
    return RawImages(*arrays)


def _read_npz(path: Path, label: str, tally: Tally) -> RawImages:
    try:
        with zipfile.ZipFile(path) as archive:
            arrays = _read_npy_members(archive, label, tally)
    except _CORRUPT_ARCHIVE_ERRORS as err:
        raise DataError(f"{label} is not a valid .npz file ({err}).") from None
    if "x" in arrays:
        return RawImages(arrays["x"], arrays.get("y"))
    if "x_train" in arrays:
        return RawImages(arrays["x_train"], arrays.get("y_train"), arrays.get("x_test"), arrays.get("y_test"))
    found = ", ".join(sorted(arrays)) or "none"
    raise DataError(
        f"{label} has arrays [{found}]; expected 'x' (and optionally 'y'), "
        "or 'x_train' (and optionally 'y_train', 'x_test', 'y_test')."
    )


def _read_npy_members(archive: zipfile.ZipFile, label: str, tally: Tally) -> dict[str, np.ndarray]:
    """The image and label arrays of an .npz, each header read, validated and charged before its data; other arrays
    are named (for the message) but never read."""
    arrays: dict[str, np.ndarray] = {}
    for info in archive.infolist():
        key = info.filename.removesuffix(".npy")
        if key in IMAGE_ARRAYS or key in LABEL_ARRAYS:
            with archive.open(info) as stream:
                arrays[key] = _read_npy(stream, info.file_size, label, key, key in IMAGE_ARRAYS, tally)
        elif not info.is_dir():
            arrays[key] = None
    return arrays


def _read_npy(stream, declared_size: int, label: str, key: str, images: bool, tally: Tally) -> np.ndarray:
    """One .npy stream -> array: magic, then the header's (shape, order, dtype) checked (images: validated and
    charged to the tally), then exactly the bytes the header promises (never more than the member declares), without
    pickle."""
    from numpy.lib import format as npy

    what = f"{label}: {'images in ' if images else ''}array {key!r}"
    try:
        version = npy.read_magic(stream)
        if version not in ((1, 0), (2, 0)):
            raise DataError(f"{what} is .npy format version {version}, which aelab does not read (1.0 or 2.0).")
        read_header = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
        shape, fortran_order, dtype = read_header(stream, max_header_size=10_000)
    except ValueError as err:
        raise DataError(f"{what} is not a valid .npy array ({err}).") from None
    if dtype.hasobject:
        raise DataError(f"{label} holds an array aelab cannot read without pickle ({key!r} holds Python objects, "
                        f"dtype {dtype}); aelab never unpickles.")
    if images:
        tally.images(shape, what, dtype)
    else:
        check_label_shape(shape, what)
    n_bytes = math.prod(shape) * dtype.itemsize
    if n_bytes > min(declared_size, MAX_UNPACKED_BYTES):
        raise DataError(f"{what} declares shape {shape} of {dtype} ({n_bytes:,} bytes), more than its "
                        f"{declared_size:,}-byte member holds or the {MAX_UNPACKED_BYTES:,} bytes allowed.")
    array = np.empty(shape[::-1] if fortran_order else shape, dtype=dtype)
    if _fill(stream, memoryview(array.reshape(-1).view(np.uint8))) != n_bytes:
        raise DataError(f"{what} is truncated: fewer than the {n_bytes:,} bytes its header declares follow.")
    return array.T if fortran_order else array


def _fill(stream, view: memoryview) -> int:
    """Read into ``view`` in 16 MiB steps (a zip member's readinto would otherwise copy the whole array once
    more); returns the bytes read."""
    filled = 0
    while filled < len(view):
        got = stream.readinto(view[filled:filled + (16 << 20)])
        if not got:
            break
        filled += got
    return filled


def _read_image_zip(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], label: str,
                    tally: Tally) -> RawImages:
    """Images -> x (N, H, W) uint8 at the most common size; labels from sub-folders, sorted by name. Every image's
    size is read from its header first, so the set is validated and charged before any pixels are decoded."""
    # Finder and Explorer add these to the zips they make; they are not the user's data.
    members = [m for m in members if not m.filename.startswith("__MACOSX/")
               and not PurePosixPath(m.filename).name.startswith(".")]
    for member in members:
        if PurePosixPath(member.filename).suffix.lower() not in IMAGE_SUFFIXES:
            raise DataError(f"{label} contains {member.filename!r}, which is not a PNG or JPEG image.")
        if member.file_size > MAX_IMAGE_FILE_BYTES:
            raise DataError(f"{label}: {member.filename!r} unpacks to {member.file_size:,} bytes, more than the "
                            f"{MAX_IMAGE_FILE_BYTES:,} an image of at most {MAX_SIDE}x{MAX_SIDE} pixels needs.")
    if not members:
        raise DataError(f"{label} contains no PNG or JPEG images.")
    if len(members) > MAX_IMAGES:
        raise DataError(f"{label} holds {len(members):,} images, more than the {MAX_IMAGES:,} allowed.")
    members.sort(key=lambda member: member.filename)
    folders = _label_folders(members, label)
    sizes = [_open_image(archive, member, label).size[::-1] for member in members]  # (height, width)
    height, width = Counter(sizes).most_common(1)[0][0]
    tally.images((len(members), height, width), f"{label}: images (most of them)")
    images = np.stack([_resized(_decode_image(archive, member, label), height, width) for member in members])
    if folders is None:
        return RawImages(images)
    class_names = tuple(sorted(set(folders), key=_natural_key))
    index = {class_name: k for k, class_name in enumerate(class_names)}
    labels = np.array([index[folder] for folder in folders], dtype=np.int64)
    return RawImages(images, labels, class_names=class_names)


def _label_folders(members: list[zipfile.ZipInfo], label: str) -> list[str] | None:
    """Each image's label folder, or None when the images are flat.

    Folders that enclose everything (as when a folder is zipped whole) are not labels, and neither is a single
    folder holding every image: one class carries no label information.
    """
    parts = [PurePosixPath(member.filename).parts for member in members]
    depths = {len(p) for p in parts}
    if len(depths) > 1:
        raise DataError(
            f"{label} mixes images at different folder depths; use one sub-folder per label, or no folders."
        )
    if depths.pop() == 1:
        return None
    if len({p[:-2] for p in parts}) > 1:
        raise DataError(f"{label} has label folders under different parents; put all label folders side by side.")
    folders = [p[-2] for p in parts]
    return folders if len(set(folders)) > 1 else None


def _open_image(archive: zipfile.ZipFile, member: zipfile.ZipInfo, label: str):
    """One zip member as a PIL image whose header alone is read (its size checked); the pixels are not decoded."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(archive.read(member)))
        width, height = image.size
    except UnidentifiedImageError:
        raise DataError(f"{label}: {member.filename!r} is not a readable PNG or JPEG image.") from None
    except (SyntaxError, *_CORRUPT_ARCHIVE_ERRORS) as err:
        raise DataError(f"{label}: {member.filename!r} is not a readable image ({err}).") from None
    if max(width, height) > MAX_SIDE:
        raise DataError(
            f"{label}: {member.filename!r} is {width}x{height} pixels, larger than the {MAX_SIDE}-pixel side allowed."
        )
    return image


def _decode_image(archive: zipfile.ZipFile, member: zipfile.ZipInfo, label: str) -> np.ndarray:
    """One zip member -> (H, W) uint8 greyscale (its header checked again: the member is read anew)."""
    image = _open_image(archive, member, label)
    try:
        return np.asarray(image.convert("L"), dtype=np.uint8)
    except (OSError, SyntaxError) as err:
        raise DataError(f"{label}: {member.filename!r} is a damaged image ({err}).") from None


def _resized(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    if pixels.shape == (height, width):
        return pixels
    from PIL import Image

    return np.asarray(Image.fromarray(pixels).resize((width, height), Image.Resampling.BILINEAR))


def _natural_key(text: str) -> tuple[int, int, str]:
    """Sort "2" before "10" (numeric folder names), then other names alphabetically."""
    return (0, int(text), "") if text.isdigit() else (1, 0, text)
