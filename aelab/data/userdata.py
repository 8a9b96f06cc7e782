"""Read a user's own images into numpy arrays: a folder of IDX files, an ``.npz``, or a ``.zip`` of PNG/JPEG.

This module only reads; aelab.data.sources checks values and shapes and builds the Dataset. Archives are recognised
by content, not by name, because uploads arrive as temporary files. Guards against hostile files: npz arrays
are read without pickle, archives whose members declare more than MAX_UNPACKED_BYTES are refused before
anything is unpacked, and each image's size is read from its header before its pixels are decoded.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from aelab.errors import DataError
from aelab.data.idx import read_idx

MAX_IMAGES = 200_000  # most images (train + test) a user's dataset may hold
MAX_SIDE = 64  # largest height or width, in pixels, of a user's image
MAX_UNPACKED_BYTES = 1 << 30  # 1 GiB: fits MAX_IMAGES images of MAX_SIDE x MAX_SIDE uint8
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


def read_user_files(path: Path, label: str) -> RawImages:
    """Read an IDX folder, an ``.npz`` or a ``.zip`` of images; ``label`` names the file in messages."""
    if path.is_dir():
        return _read_idx_folder(path, label)
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
                return _read_image_zip(archive, members, label)
    except _CORRUPT_ARCHIVE_ERRORS as err:
        raise DataError(f"{label} is a corrupt zip archive ({err}).") from None
    return _read_npz(path, label)


def _read_idx_folder(folder: Path, label: str) -> RawImages:
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
    arrays = [None if p is None else read_idx(p, max_bytes=MAX_UNPACKED_BYTES) for p in paths]
    return RawImages(*arrays)


def _read_npz(path: Path, label: str) -> RawImages:
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except ValueError as err:  # an object array would need pickle, which is never allowed
        raise DataError(f"{label} holds an array aelab cannot read without pickle ({err}).") from None
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


def _read_image_zip(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], label: str) -> RawImages:
    """Images -> x (N, H, W) uint8 at the most common size; labels from sub-folders, sorted by name."""
    # Finder and Explorer add these to the zips they make; they are not the user's data.
    members = [m for m in members if not m.filename.startswith("__MACOSX/")
               and not PurePosixPath(m.filename).name.startswith(".")]
    for member in members:
        if PurePosixPath(member.filename).suffix.lower() not in IMAGE_SUFFIXES:
            raise DataError(f"{label} contains {member.filename!r}, which is not a PNG or JPEG image.")
    if not members:
        raise DataError(f"{label} contains no PNG or JPEG images.")
    if len(members) > MAX_IMAGES:
        raise DataError(f"{label} holds {len(members):,} images, more than the {MAX_IMAGES:,} allowed.")
    members.sort(key=lambda member: member.filename)
    folders = _label_folders(members, label)
    pixels = [_decode_image(archive, member, label) for member in members]
    height, width = Counter(p.shape for p in pixels).most_common(1)[0][0]
    images = np.stack([_resized(p, height, width) for p in pixels])
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


def _decode_image(archive: zipfile.ZipFile, member: zipfile.ZipInfo, label: str) -> np.ndarray:
    """One zip member -> (H, W) uint8 greyscale; its size is checked before its pixels are decoded."""
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
