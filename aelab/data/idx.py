"""Read and write IDX files, the format MNIST, Fashion-MNIST and KMNIST ship in.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one big-endian
uint32 per dimension, then the values in big-endian C order. A name ending in ``.gz`` is gzip-compressed.
Reference: http://yann.lecun.com/exdb/mnist/ ("THE IDX FILE FORMAT").
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from aelab.errors import DataError

# IDX type code -> big-endian numpy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_FOR_KIND = {(dtype.kind, dtype.itemsize): code for code, dtype in IDX_DTYPES.items()}

# A file whose header promises more than this is refused before its payload is read, so a tiny .gz cannot
# expand into gigabytes of memory. 1 GiB fits the largest dataset aelab accepts (200,000 images of 64x64 uint8).
DEFAULT_MAX_BYTES = 1 << 30


def read_idx(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
             check_shape: Callable[[tuple[int, ...], str], None] | None = None) -> np.ndarray:
    """Read an IDX file (gzip-compressed when the name ends in ``.gz``) into a native-endian array.

    ``check_shape(shape, name)``, when given, may refuse the declared shape (raising DataError) before any data is
    read or decompressed: the caller's own limits (numbers of images, sides) cost nothing to enforce there.
    Returns: an array of the file's shape, e.g. images ``(N, H, W)`` uint8 and labels ``(N,)`` uint8.
    Raises: DataError naming the file when the magic number is wrong, the file is truncated or has trailing
    bytes, the gzip stream is corrupt, or the header declares more than ``max_bytes`` of data. Never more than
    ``max_bytes`` + 1 bytes are decompressed, whatever the stream holds.
    """
    path = Path(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as stream:
            return _read_idx_stream(stream, path.name, max_bytes, check_shape)
    except (OSError, EOFError, zlib.error) as err:  # gzip reports corruption as OSError / EOFError
        raise DataError(f"Could not read the IDX file {path.name}: {err}.") from None


def _read_idx_stream(stream: BinaryIO, name: str, max_bytes: int,
                     check_shape: Callable[[tuple[int, ...], str], None] | None) -> np.ndarray:
    magic = stream.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in IDX_DTYPES or magic[3] == 0:
        raise DataError(
            f"{name} is not an IDX file: wrong magic number 0x{magic.hex() or 'empty'} "
            "(expected 0x0000 followed by a type code and the number of dimensions)."
        )
    dtype, ndim = IDX_DTYPES[magic[2]], magic[3]
    header = stream.read(4 * ndim)
    if len(header) < 4 * ndim:
        raise DataError(f"{name} is truncated: its header ends before the {ndim} dimension sizes.")
    shape = struct.unpack(f">{ndim}I", header)
    # Python integers: numpy's int64 product of four uint32 sides can wrap round to a small or negative size.
    expected = math.prod(shape) * dtype.itemsize
    if expected > max_bytes:
        raise DataError(
            f"{name} declares shape {shape}, {expected:,} bytes of data, more than the {max_bytes:,} allowed."
        )
    if check_shape is not None:
        check_shape(shape, name)
    payload = _read_capped(stream, expected + 1)  # one byte more than promised reveals trailing data
    if len(payload) < expected:
        raise DataError(
            f"{name} is truncated: its header declares shape {shape} ({expected:,} bytes of data) "
            f"but only {len(payload):,} bytes follow."
        )
    if len(payload) > expected:
        raise DataError(
            f"{name} is corrupt: data continues past the {expected:,} bytes its header declares for shape {shape}."
        )
    # Bytes (uint8) need no conversion: the array keeps the buffer instead of copying it (frombuffer of a bytearray
    # is writable); wider types are swapped to the machine's byte order, a copy.
    return np.frombuffer(payload, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def _read_capped(stream: BinaryIO, limit: int) -> bytearray:
    """At most ``limit`` bytes, read in 16 MiB chunks into one buffer (a gzip stream is decompressed only as far as
    asked, so a bomb's tail is never inflated)."""
    buffer = bytearray(limit)
    view, filled = memoryview(buffer), 0
    while filled < limit:
        chunk = stream.readinto(view[filled:filled + (16 << 20)])
        if not chunk:
            break
        filled += chunk
    del view  # a bytearray with a live memoryview cannot be resized
    del buffer[filled:]
    return buffer


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file, gzip-compressed when ``path`` ends in ``.gz``.

    ``array``: any shape with 1-255 dimensions, dtype uint8, int8, int16, int32, float32 or float64.
    The gzip header carries no timestamp, so the same array always gives the same bytes (and checksum).
    """
    path = Path(path)
    array = np.asarray(array)
    code = _CODE_FOR_KIND.get((array.dtype.kind, array.dtype.itemsize))
    if code is None or not 1 <= array.ndim <= 255:
        raise DataError(
            f"Cannot write {path.name}: IDX holds 1-255 dimensions of uint8, int8, int16, int32, float32 or "
            f"float64, got {array.ndim} dimensions of {array.dtype}."
        )
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    with open(path, "wb") as raw:
        if path.name.endswith(".gz"):
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as stream:
                stream.write(header + payload)
        else:
            raw.write(header + payload)
