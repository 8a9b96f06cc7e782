"""The memory budget (aelab.data.budget): what it charges is what a Dataset holds, it is charged from headers before
anything is decoded (a zip's images included), the arrays of one file count together, and its settings are read
from the environment with one message for a bad value."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from aelab.data.budget import UNLIMITED, Budget, dataset_bytes, held_bytes, session_budget_bytes, upload_budget
from aelab.data.idx import write_idx
from aelab.data.sources import load_user_data
from aelab.errors import DataError

RNG = np.random.default_rng(0)


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("x", [RNG.integers(0, 256, (50, 12, 10), dtype=np.uint8), RNG.random((50, 1, 9, 9)),
                               RNG.random((50, 64)).astype(np.float32)], ids=["uint8", "float64", "float32 flat"])
def test_what_is_charged_is_what_the_dataset_holds(tmp_path, x):
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(50) % 5)
    dataset = load_user_data(tmp_path / "d.npz")
    height, width = dataset.image_size
    assert dataset_bytes(dataset) == held_bytes(50, height, width) == 50 * (height * width * 4 + 8)
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((50, height, width), np.uint8))
    assert dataset_bytes(load_user_data(tmp_path)) == held_bytes(50, height, width)


def test_a_zip_of_images_is_charged_from_their_headers_before_any_is_decoded(tmp_path):
    images = {f"{i % 2}/{i:02d}.png": _png(RNG.integers(0, 256, (8, 8), dtype=np.uint8)) for i in range(30)}
    damaged = bytearray(images["0/00.png"])
    start = damaged.index(b"IDAT") + 8
    damaged[start:start + 20] = bytes(20)  # its header is whole, its pixels are not
    images["0/00.png"] = bytes(damaged)
    with zipfile.ZipFile(tmp_path / "images.zip", "w") as archive:
        for name, content in images.items():
            archive.writestr(name, content)
    with pytest.raises(DataError, match="damaged image"):  # decoding finds the damage...
        load_user_data(tmp_path / "images.zip")
    with pytest.raises(DataError, match=r"images.zip: images \(most of them\) \(30 of 8x8 pixels\) would take"):
        load_user_data(tmp_path / "images.zip", budget=Budget().limited(1000, "a 1,000-byte test budget"))


def test_the_arrays_of_one_file_are_charged_together(tmp_path):
    x = RNG.integers(0, 256, (100, 8, 8), dtype=np.uint8)
    np.savez(tmp_path / "split.npz", x_train=x[:60], x_test=x[60:])
    fits_the_train_part = Budget().limited(held_bytes(80, 8, 8), "a budget for 80 images")
    with pytest.raises(DataError, match="array 'x_test' .40 of 8x8 pixels. would take .* more than a budget for 80"):
        load_user_data(tmp_path / "split.npz", budget=fits_the_train_part)
    assert len(load_user_data(tmp_path / "split.npz", budget=Budget().limited(held_bytes(100, 8, 8), "all")).x_test)


def test_a_budget_names_the_first_limit_exceeded():
    budget = Budget().limited(100, "the upload's 100 bytes").limited(50, "the session's 50 left")
    budget.check(50, "fine")
    with pytest.raises(DataError, match="more than the session's 50 left"):
        budget.check(60, "x")
    with pytest.raises(DataError, match="more than the upload's 100 bytes"):
        budget.check(200, "x")
    UNLIMITED.check(10**15, "anything")


def test_the_settings_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("AELAB_UPLOAD_BUDGET_MB", raising=False)
    monkeypatch.delenv("AELAB_SESSION_BUDGET_MB", raising=False)
    assert upload_budget().limits == ((256 * 2**20, "the 256 MiB allowed per upload (AELAB_UPLOAD_BUDGET_MB)"),)
    assert session_budget_bytes() == 320 * 2**20
    monkeypatch.setenv("AELAB_SESSION_BUDGET_MB", "1000")
    assert session_budget_bytes() == 1000 * 2**20
    for bad in ("lots", "0", "-5"):
        monkeypatch.setenv("AELAB_UPLOAD_BUDGET_MB", bad)
        with pytest.raises(DataError, match="AELAB_UPLOAD_BUDGET_MB must be"):
            upload_budget()
