"""Small files that declare big data, built without holding that data: what the hostile-input tests
(tests/unit/test_hostile_input.py), the upload browser tests (tests/e2e/test_upload_budget.py) and
bench/upload_memory.py give aelab."""
from __future__ import annotations

import gzip
import io
import struct
import zipfile
from pathlib import Path

import numpy as np
from numpy.lib import format as npy


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def compressed_npz(path: Path, shape: tuple[int, ...], labels: int = 0, compress: bool = True) -> Path:
    """What np.savez_compressed writes for x = np.zeros(shape, uint8) (and y = np.arange(labels) % 10), streamed:
    (200000, 64, 64) is the issue's 802,103-byte file of 819 MB of zeros, 3.3 GB as the app's floats. compress=False:
    what np.savez writes, as large as its zeros."""
    header = io.BytesIO()
    npy.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": shape})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as archive:
        with archive.open("x.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            left, chunk = int(np.prod(shape)), bytes(16 << 20)
            while left:
                member.write(chunk[:min(left, len(chunk))])
                left -= min(left, len(chunk))
        if labels:
            archive.writestr("y.npy", npy_bytes(np.arange(labels) % 10))
    return path


def idx_gz(path: Path, shape: tuple[int, ...], inflated: int) -> Path:
    """An IDX .gz whose header declares shape, then inflated bytes of zeros as 1 MiB gzip members and one for the
    rest (a stream of concatenated members is one valid gzip file): about 1 KB per MiB on disk. inflated equal to
    the shape's size is a valid file (the issue's 796 KB one declaring 200,000 64x64 images), more is a bomb."""
    header = bytes([0, 0, 0x08, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)
    zeros = gzip.compress(bytes(1 << 20), compresslevel=9, mtime=0)
    with open(path, "wb") as f:
        f.write(gzip.compress(header, mtime=0))
        for _ in range(inflated >> 20):
            f.write(zeros)
        if inflated % (1 << 20):
            f.write(gzip.compress(bytes(inflated % (1 << 20)), compresslevel=9, mtime=0))
    return path
