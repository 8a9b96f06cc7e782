"""AppTest of what an upload may cost and where bad data stops: images too small for the pages are refused at the
uploader in one line (npz, IDX and a zip of PNGs alike), and the pages keep working; an upload over the per-upload
budget, or over what the session's budget leaves, is refused naming that budget; the one it replaces and the ones
taken off the uploader no longer count. And an unexpected error on a page is one line with an id that the log has."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from aelab.data.budget import MIB, dataset_bytes, held_bytes
from aelab.data.idx import write_idx
from aelab.data.sources import load_user_data
from tests.apptest_helpers import run_app, shown

MIME = "application/octet-stream"


@pytest.fixture(autouse=True)
def small_budgets(tmp_path, monkeypatch):
    """2 MiB per upload and 4 MiB per session: three uploads of 6,000 8x8 images (1.5 MiB each as floats) fill it."""
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))
    monkeypatch.setenv("AELAB_UPLOAD_BUDGET_MB", "2")
    monkeypatch.setenv("AELAB_SESSION_BUDGET_MB", "4")


def _images(n: int, height: int = 8, width: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, height, width), dtype=np.uint8)


def _npz(x: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, x=x, y=np.arange(len(x)) % 3)
    return buffer.getvalue()


def _idx(x: np.ndarray, tmp_path) -> bytes:
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", x)
    return (tmp_path / "train-images-idx3-ubyte.gz").read_bytes()


def _png_zip(x: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i, image in enumerate(x):
            png = io.BytesIO()
            Image.fromarray(image).save(png, format="PNG")
            archive.writestr(f"{i % 2}/{i:03d}.png", png.getvalue())
    return buffer.getvalue()


def _upload(at, name: str, content: bytes):
    at.sidebar.file_uploader[0].set_value((name, content, MIME)).run()
    assert not at.exception, [e.value for e in at.exception]
    return [shown(e.value) for e in at.sidebar.error]


def _dataset(at) -> str:
    return at.session_state["dataset"]


@pytest.mark.parametrize("kind", ["npz", "idx", "zip"])
@pytest.mark.parametrize("side", [(1, 1), (2, 2), (1, 64)])
def test_images_too_small_for_the_pages_are_refused_at_the_uploader(kind, side, tmp_path):
    x = _images(20, *side)
    name, content = {"npz": lambda: ("tiny.npz", _npz(x)), "idx": lambda: ("train-images-idx3-ubyte.gz",
                     _idx(x, tmp_path)), "zip": lambda: ("tiny.zip", _png_zip(x))}[kind]()
    at = run_app()
    errors = _upload(at, name, content)
    assert len(errors) == 1 and f"are {side[0]}x{side[1]} pixels, smaller than the 8-pixel side" in errors[0]
    assert _dataset(at) == "mnist-5k" and not at.session_state["uploads"]
    for page in ("train", "restore", "lessons"):  # the pages these sizes used to crash
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])


def test_an_upload_over_the_per_upload_budget_is_refused_naming_it():
    at = run_app()
    errors = _upload(at, "big.npz", _npz(_images(9000)))  # 2.3 MiB as floats
    assert len(errors) == 1 and "would take 2.3 MiB" in errors[0]
    assert "more than the 2.0 MiB allowed per upload (AELAB_UPLOAD_BUDGET_MB)" in errors[0]
    assert _dataset(at) == "mnist-5k"


@pytest.fixture
def loaded(tmp_path):
    """name -> the Dataset of an .npz of that name holding 6,000 8x8 images (1.5 MiB as floats)."""
    def load(name: str):
        (tmp_path / name).write_bytes(_npz(_images(6000, seed=len(name))))
        return load_user_data(tmp_path / name, name=name)

    return load


def _session_with(loaded, *names: str, tracked: dict | None = None):
    """The app with uploads of names already held (as if uploaded earlier, the first chosen); tracked: the files on
    the uploader each was read from (one not tracked stays, whatever the uploader holds)."""
    held = {f"upload:{name}": loaded(name) for name in names}
    return run_app(uploads=held, dataset=next(iter(held)), upload_file_ids=tracked or {})


def test_the_upload_that_takes_a_session_past_its_budget_is_refused(loaded):
    at = _session_with(loaded, "a.npz", "b.npz")  # 3.0 MiB held of 4
    errors = _upload(at, "c.npz", _npz(_images(6000, seed=2)))
    assert len(errors) == 1 and "would take 1.5 MiB" in errors[0]
    assert "more than the 1.0 MiB left of this session's 4.0 MiB (AELAB_SESSION_BUDGET_MB; your other uploads " \
           "hold 3.0 MiB" in errors[0]
    assert sorted(at.session_state["uploads"]) == ["upload:a.npz", "upload:b.npz"] and _dataset(at) == "upload:a.npz"


def test_an_upload_replacing_one_of_its_name_is_not_charged_for_it(loaded):
    at = _session_with(loaded, "a.npz", "b.npz")
    before = at.session_state["uploads"]["upload:a.npz"].identity
    assert _upload(at, "a.npz", _npz(_images(6000, seed=3))) == []  # 3.0 MiB + 1.5 would not fit: 1.5 + 1.5 does
    assert sorted(at.session_state["uploads"]) == ["upload:a.npz", "upload:b.npz"] and _dataset(at) == "upload:a.npz"
    assert at.session_state["uploads"]["upload:a.npz"].identity != before


def test_a_file_taken_off_the_uploader_gives_its_budget_back(loaded):
    at = _session_with(loaded, "a.npz", "b.npz", tracked={"upload:a.npz": frozenset({"an id no longer on it"})})
    assert _upload(at, "c.npz", _npz(_images(6000, seed=2))) == []  # a.npz went, so c.npz fits
    assert sorted(at.session_state["uploads"]) == ["upload:b.npz", "upload:c.npz"] and _dataset(at) == "upload:c.npz"
    at.sidebar.file_uploader[0].clear().run()  # c.npz taken off too: its dataset goes, the default is shown
    assert sorted(at.session_state["uploads"]) == ["upload:b.npz"] and _dataset(at) == "mnist-5k"


def test_what_a_session_holds_is_what_the_budget_charged(loaded):
    assert dataset_bytes(loaded("a.npz")) == held_bytes(6000, 8, 8) == 6000 * (8 * 8 * 4 + 8)
    assert held_bytes(6000, 8, 8) / MIB == pytest.approx(1.51, abs=0.01)
