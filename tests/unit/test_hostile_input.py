"""Hostile files are refused from their headers and declared sizes, before anything big is read or allocated.

Each case runs ``python -m aelab evaluate`` (through aelab.cli.main) in a fresh subprocess and reports its peak RSS
(``ru_maxrss``); a baseline subprocess imports the same modules and evaluates a small good file. A case passes when
its refusal is one ``error:`` line with exit code 2 and its peak stays under the baseline's plus twice the file's
size plus PEAK_MARGIN. Before these guards, the label case grew past 3 GB, the gzip bomb cost 2.2 GB, the huge
config built a multi-GB network, and a 0.8 MB compressed file of blank images (as an .npz or an IDX .gz) became
3.3 GB of floats (7.8 GB at peak in the app) until the memory budget (aelab.data.budget) refused it from its
header; an address-space limit cannot be used instead, torch reserves much virtual memory.
The hostile files are built small: the gzip bomb is 1,000 copies of one gzip member inflating 1 MiB of zeros.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from numpy.lib import format as npy

from aelab.data.sources import load_user_data
from aelab.errors import DataError
from tests.hostile_files import compressed_npz, idx_gz, npy_bytes

REPO = Path(__file__).resolve().parents[2]
PEAK_MARGIN = 64 << 20  # bytes above the baseline allowed for any case, beyond twice the file's size
GOOD_MODEL = REPO / "pretrained" / "digits-ae"  # 8x8 images, so the good data file stays tiny

RUNNER = """
import contextlib, io, json, resource, sys
import aelab.data.sources, aelab.library.store  # the same modules, loaded in every case
from aelab.cli.main import main
err = io.StringIO()
with contextlib.redirect_stderr(err):
    rc = main(sys.argv[1:])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
print(json.dumps({"rc": rc, "stderr": err.getvalue(), "peak": peak}))
"""


# ---- building the files -------------------------------------------------------------------------------------


def _npz(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


def _npz_with_header_only(path: Path, shape: tuple[int, ...], descr: str) -> Path:
    """An .npz whose 'x' member is a .npy header declaring ``shape`` followed by 64 bytes: tiny on disk."""
    member = io.BytesIO()
    npy.write_array_header_1_0(member, {"descr": descr, "fortran_order": False, "shape": shape})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", member.getvalue() + bytes(64))
    return path


def _idx_bomb(folder: Path, shape: tuple[int, ...], inflated: int = 1 << 30) -> Path:
    """train-images-idx3-ubyte.gz: an IDX header declaring ``shape``, then ``inflated`` bytes of zeros as 1 MiB gzip
    members: ~1 MB on disk."""
    folder.mkdir()
    idx_gz(folder / "train-images-idx3-ubyte.gz", shape, inflated)
    return folder


def _idx_plain(folder: Path, shape: tuple[int, ...]) -> Path:
    folder.mkdir()
    header = bytes([0, 0, 0x08, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)
    (folder / "train-images-idx3-ubyte").write_bytes(header + bytes(64))
    return folder


def _model_with(folder: Path, **model_changes) -> Path:
    shutil.copytree(GOOD_MODEL, folder)
    config = json.loads((folder / "config.json").read_text())
    config["model"].update(model_changes)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


# ---- the cases ------------------------------------------------------------------------------------------------

_rng = np.random.default_rng(0)
GOOD_X = _rng.integers(0, 256, (40, 8, 8), dtype=np.uint8)

# name -> (build(tmp) -> (model, data, "model" when the model folder is the file measured), exit code, message)
CASES = {
    "huge label (accepted: class names from the labels present)": (
        lambda t: (GOOD_MODEL, _npz(t / "l.npz", x=GOOD_X, y=np.r_[np.zeros(39, np.int64), 10**12]), None), 0, ""),
    "npz member declaring a billion images": (
        lambda t: (GOOD_MODEL, _npz_with_header_only(t / "s.npz", (10**9, 8, 8), "|u1"), None),
        2, "number 1,000,000,000, more than the 200,000 allowed"),
    "gzip IDX bomb (1 MB -> 1 GB), header declaring a million images": (
        lambda t: (GOOD_MODEL, _idx_bomb(t / "bomb1", (1_000_000, 32, 32)), None),
        2, "number 1,000,000, more than the 200,000 allowed"),
    "gzip IDX bomb (1 MB -> 1 GB), small header, the rest trailing zeros": (
        lambda t: (GOOD_MODEL, _idx_bomb(t / "bomb2", (10, 8, 8)), None), 2, "data continues past the 640 bytes"),
    "compressed npz of 200,000 blank 64x64 images (0.8 MB; 3.3 GB as floats) over the memory budget": (
        lambda t: (GOOD_MODEL, compressed_npz(t / "z.npz", (200_000, 64, 64), labels=200_000), None),
        2, "more than the 256 MiB allowed per upload (AELAB_UPLOAD_BUDGET_MB)"),
    "IDX .gz declaring 200,000 64x64 images (0.8 MB; 3.3 GB as floats) over the memory budget": (
        lambda t: (GOOD_MODEL, _idx_bomb(t / "bomb3", (200_000, 64, 64), inflated=200_000 * 64 * 64), None),
        2, "more than the 256 MiB allowed per upload (AELAB_UPLOAD_BUDGET_MB)"),
    "IDX header whose dimensions overflow int64": (
        lambda t: (GOOD_MODEL, _idx_plain(t / "overflow", (65536,) * 4), None), 2, "more than the 1,073,741,824"),
    "model config with 12 hidden layers of 8192": (
        lambda t: (_model_with(t / "deep", hidden=[8192] * 12), None, "model"), 2, "at most 8 are allowed"),
    "model config with a non-numeric hidden size": (
        lambda t: (_model_with(t / "text", hidden=["x"]), None, "model"), 2, "hidden sizes must each be"),
}


def _start(model: Path, data: Path, home: Path) -> subprocess.Popen:
    env = {**os.environ, "AELAB_HOME": str(home), "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    env.pop("AELAB_UPLOAD_BUDGET_MB", None)  # the default budget, which the messages name
    return subprocess.Popen([sys.executable, "-c", RUNNER, "evaluate", str(model), "--data", str(data)], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=300)
    assert out.strip(), f"the runner printed nothing; stderr: {err[-2000:]}"
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """Every case and the baseline, each in its own fresh process, four at a time (peaks are per process)."""
    tmp = tmp_path_factory.mktemp("hostile")
    good = _npz(tmp / "good.npz", x=GOOD_X, y=np.arange(40) % 4)
    jobs = {"baseline": (GOOD_MODEL, good, good)}
    for name, (build, _, _) in CASES.items():
        model, data, measured = build(tmp)
        jobs[name] = (model, data or good, model if measured == "model" else (data or good))
    results, names = {}, list(jobs)
    for start in range(0, len(names), 4):
        batch = {n: _start(jobs[n][0], jobs[n][1], tmp / "home") for n in names[start:start + 4]}
        results.update({n: {**_finish(p), "file_size": _size(jobs[n][2])} for n, p in batch.items()})
    return results


def test_the_baseline_evaluates_the_good_file(runs):
    assert runs["baseline"]["rc"] == 0, runs["baseline"]["stderr"]


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_input_is_refused_within_the_memory_bound(runs, case):
    _, expected_rc, phrase = CASES[case]
    run, baseline = runs[case], runs["baseline"]["peak"]
    lines = run["stderr"].strip().splitlines()
    if expected_rc:
        assert len(lines) == 1 and lines[0].startswith("error: ") and phrase in lines[0], run["stderr"]
    assert run["rc"] == expected_rc, run["stderr"]
    bound = baseline + 2 * run["file_size"] + PEAK_MARGIN
    print(f"{case}: peak {run['peak'] / 2**20:.0f} MiB, baseline {baseline / 2**20:.0f} MiB, "
          f"bound {bound / 2**20:.0f} MiB, file {run['file_size'] / 2**20:.2f} MiB")
    assert run["peak"] <= bound


# ---- in-process checks of the same guards -------------------------------------------------------------------


@pytest.mark.parametrize("build, message", [
    (lambda t: _npz(t / "c.npz", x=np.zeros((1100, 8, 8), np.uint8), y=np.arange(1100)),
     "1,100 distinct labels, more than the 1,000 classes allowed"),
    (lambda t: _npz_with_header_only(t / "b.npz", (150_000, 64, 64), "<f8"), "4,915,200,000 bytes"),
    (lambda t: _npz_with_header_only(t / "w.npz", (10, 65, 65), "|u1"), "65x65 pixels, larger than the 64-pixel side"),
    (lambda t: _idx_plain(t / "o", (2**32 - 1,) * 3), "more than the 1,073,741,824 allowed"),
], ids=["too many classes", "npz 4.9 GB of float64", "npz images too large", "IDX uint32 dims"])
def test_more_hostile_data_is_refused_with_its_reason(tmp_path, build, message):
    with pytest.raises(DataError, match=message):
        load_user_data(build(tmp_path))


@pytest.mark.parametrize("changes, message", [
    ({"hidden": [8192] * 8}, "parameters, more than the 50,000,000 allowed"),
    ({"image_size": ["x", 8]}, "image_size must be two sides"),
    ({"hidden": "64"}, "hidden sizes must each be"),
    ({"latent_dim": 10**9}, "latent_dim must be"),
])
def test_more_hostile_model_configs_are_refused_before_a_network_is_built(tmp_path, changes, message):
    from aelab.errors import ModelStoreError
    from aelab.library.store import load_model

    with pytest.raises(ModelStoreError, match=message):
        load_model(_model_with(tmp_path / "m", **changes))


def test_the_parameter_count_is_exactly_what_the_nets_build():
    """MAX_PARAMETERS is enforced from ModelConfig.parameter_count: it must count what create_model allocates."""
    from aelab.models.autoencoder import create_model
    from aelab.models.config import ModelConfig

    checked = 0
    for arch in ("mlp", "conv", "linear", "pca", "kmeans", "soft_kmeans"):
        for variational, tied in ((False, False), (True, False), (False, True)):
            for hidden in ((), (16,), (8, 4), (3, 5, 7)):
                for side in ((8, 8), (7, 5)):
                    try:
                        config = ModelConfig(arch=arch, variational=variational, tied_weights=tied, hidden=hidden,
                                             image_size=side, latent_dim=3)
                    except Exception:
                        continue  # a combination the config refuses
                    model = create_model(config)
                    assert sum(t.numel() for t in model.state_dict().values()) == config.parameter_count, config
                    checked += 1
    assert checked > 60


def test_class_names_come_from_the_labels_present(tmp_path):
    y = np.r_[np.full(20, 10**12), np.full(20, 7), [-1] * 10]
    ds = load_user_data(_npz(tmp_path / "l.npz", x=np.zeros((50, 8, 8), np.uint8), y=y))
    assert ds.class_names == ("7", "1000000000000")
    labels = np.concatenate([ds.y_train.numpy(), ds.y_test.numpy()])
    assert sorted(set(labels.tolist())) == [-1, 0, 1] and (labels == 1).sum() == 20


def test_labels_already_numbered_from_zero_are_kept(tmp_path):
    ds = load_user_data(_npz(tmp_path / "l.npz", x=np.zeros((40, 8, 8), np.uint8), y=np.arange(40) % 4))
    assert ds.class_names == ("0", "1", "2", "3") and set(ds.y_train.tolist()) == {0, 1, 2, 3}


def test_a_huge_image_member_of_a_zip_is_refused_unread(tmp_path):
    path = tmp_path / "images.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.png", bytes(5 << 20))
    with pytest.raises(DataError, match="unpacks to 5,242,880 bytes"):
        load_user_data(path)


def test_an_npz_member_shorter_than_its_header_is_refused(tmp_path):
    member = io.BytesIO()
    npy.write_array_header_1_0(member, {"descr": "|u1", "fortran_order": False, "shape": (4, 8, 8)})
    path = tmp_path / "short.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", member.getvalue() + bytes(300))  # 256 bytes declared, 300 given: fine
        archive.writestr("y.npy", npy_bytes(np.arange(3)))  # 3 labels for 4 images
    with pytest.raises(DataError, match="labels number 3 but there are 4 images"):
        load_user_data(path)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", member.getvalue() + bytes(100))
    with pytest.raises(DataError, match="more than its 228-byte member holds"):
        load_user_data(path)


def test_fortran_ordered_and_big_endian_npz_arrays_read_as_numpy_does(tmp_path):
    x = np.asfortranarray(_rng.random((6, 8, 8)).astype(">f4"))
    ds = load_user_data(_npz(tmp_path / "f.npz", x=x))
    together = np.concatenate([ds.x_train.numpy(), ds.x_test.numpy()])[:, 0]
    assert sorted(together.sum(axis=(1, 2)).round(3)) == sorted(x.astype(np.float32).sum(axis=(1, 2)).round(3))


def test_streamlit_refuses_uploads_larger_than_the_data_limits_allow():
    """maxUploadSize is in MB: the browser (on Linux and macOS) refuses a file over maxUploadSize * 10**6 bytes, the
    server one over maxUploadSize * 2**20. The smallest value whose every reading admits the largest accepted file
    (1 GiB of data plus 1 MiB of headers), and what the README says."""
    import tomllib

    from aelab.data.userdata import MAX_UNPACKED_BYTES

    largest = MAX_UNPACKED_BYTES + 2**20
    mb = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    assert mb * 10**6 >= largest > (mb - 1) * 10**6 and mb * 2**20 >= largest
    assert f"`server.maxUploadSize = {mb}`" in (REPO / "README.md").read_text()
