"""Every CLI command that writes checks its outputs before any work (aelab.cli.common.check_output): a place that
cannot be written, a path under a regular file, a class server's published or students' folders, a file that would be
replaced without --overwrite, and an empty --hidden are one `error:` line and exit 2 before the data is read or a
model trained; an OSError met later is one line too. A --data file over the per-upload memory budget is refused the
same way, and --no-budget reads it."""
from __future__ import annotations

import errno

import numpy as np
import pytest

from aelab.cli.main import main

STUDENT = "0123456789abcdef0123456789abcdef"
TRAIN = ["train", "--variant", "ae", "--data", "digits", "--epochs", "1", "--device", "cpu"]


@pytest.fixture(autouse=True)
def library(tmp_path, monkeypatch):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "library"))
    monkeypatch.delenv("AELAB_PUBLISHED_DIR", raising=False)
    return tmp_path / "library"


@pytest.fixture
def no_work(monkeypatch):
    """Reading the data, training, exporting or building fails the test: each case must stop before."""
    def forbidden(*args, **kwargs):
        raise AssertionError("the command started its work before refusing its output")

    monkeypatch.setattr("aelab.cli.common.dataset_from_args", forbidden)
    monkeypatch.setattr("aelab.export.onnx.export_model", forbidden)
    monkeypatch.setattr("aelab.library.pretrained.build_all", forbidden)
    monkeypatch.setattr("aelab.lessons.capacity.build_lessons", forbidden)


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def _regular_file(tmp_path):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    return tmp_path / "notes.txt"


def _folder_with(tmp_path, *names):
    folder = tmp_path / "out"
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("mine") if "." in name else (folder / name).mkdir()
    return folder


CASES = {
    "export into /proc": (lambda t, lib: ["export", "vae", "--onnx", "/proc/aelab-x"], "cannot be written"),
    "export under a regular file": (lambda t, lib: ["export", "vae", "--onnx", f"{_regular_file(t)}/sub"],
                                    "is a file, not a folder"),
    "export over an existing .onnx": (lambda t, lib: ["export", "vae", "--onnx", str(_folder_with(
        t, "vae.encoder.onnx"))], "vae.encoder.onnx already exists; pass --overwrite"),
    "encode into /sys": (lambda t, lib: ["encode", "vae", "--data", "mnist-5k", "--out", "/sys/e.npz"],
                         "cannot be written"),
    "train into /sys": (lambda t, lib: [*TRAIN, "--out", "/sys/m"], "cannot be written"),
    "train into the published folder": (lambda t, lib: [*TRAIN, "--out", str(lib / ".published" / "x")],
                                        "inside the published models"),
    "train into a student's library": (lambda t, lib: [*TRAIN, "--out", str(lib / ".students" / STUDENT / "x")],
                                       "inside the students' own libraries"),
    "train with --hidden ''": (lambda t, lib: [*TRAIN, "--out", str(t / "m"), "--hidden", ""],
                               "--hidden must list at least one size"),
    "toy train with --hidden ''": (lambda t, lib: ["toy", "train", "--hidden", " , ", "--epochs", "1"],
                                   "--hidden must list at least one size"),
    "build-pretrained over a model folder": (lambda t, lib: ["build-pretrained", "--only", "ae", "--out", str(
        _folder_with(t, "ae"))], "ae already exists; pass --overwrite"),
    "build-pretrained into /proc": (lambda t, lib: ["build-pretrained", "--only", "ae", "--out", "/proc/aelab-x"],
                                    "cannot be written"),
    "build-lessons over a sweep": (lambda t, lib: ["build-lessons", "--data", "digits", "--only", "sweep", "--out",
                                                   str(_folder_with(t, "bottleneck-digits.json"))],
                                   "bottleneck-digits.json already exists; pass --overwrite"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_output_is_one_error_line_before_any_work(case, tmp_path, library, no_work, capsys):
    build, message = CASES[case]
    assert main(build(tmp_path, library)) == 2
    assert message in _one_error_line(capsys)
    assert not (library / ".published").exists() and not (library / ".students").exists()
    assert [p.read_text() for p in tmp_path.rglob("*.*") if p.is_file()] in ([], ["mine"], ["a file, not a folder"])


def test_a_published_folder_set_elsewhere_is_refused_too(tmp_path, monkeypatch, no_work, capsys):
    monkeypatch.setenv("AELAB_PUBLISHED_DIR", str(tmp_path / "shared"))
    assert main([*TRAIN, "--out", str(tmp_path / "shared" / "x")]) == 2
    assert "inside the published models" in _one_error_line(capsys)


def test_export_replaces_its_files_when_told(tmp_path, capsys):
    folder = _folder_with(tmp_path, "vae.json")
    assert main(["export", "vae", "--onnx", str(folder), "--overwrite"]) == 0
    assert (folder / "vae.json").read_text() != "mine" and (folder / "vae.encoder.onnx").stat().st_size > 1000


def test_an_os_error_met_during_the_work_is_one_error_line(tmp_path, monkeypatch, capsys):
    def disk_full(model, out, name):
        raise OSError(errno.ENOSPC, "No space left on device", str(out / f"{name}.json"))

    monkeypatch.setattr("aelab.export.onnx.export_model", disk_full)
    assert main(["export", "vae", "--onnx", str(tmp_path / "onnx")]) == 2
    assert _one_error_line(capsys) == f"error: No space left on device: {tmp_path / 'onnx' / 'vae.json'}\n"


def test_a_data_file_over_the_budget_is_refused_unless_no_budget(tmp_path, monkeypatch, capsys):
    images = np.random.default_rng(0).integers(0, 256, (6000, 8, 8), dtype=np.uint8)  # 1.6 MB as floats
    np.savez(tmp_path / "big.npz", x=images, y=np.arange(6000) % 10)
    monkeypatch.setenv("AELAB_UPLOAD_BUDGET_MB", "1")
    evaluate = ["evaluate", "digits-ae", "--data", str(tmp_path / "big.npz")]
    assert main(evaluate) == 2
    err = _one_error_line(capsys)
    assert "1.0 MiB allowed per upload (AELAB_UPLOAD_BUDGET_MB); pass --no-budget" in err
    assert main([*evaluate, "--no-budget"]) == 0
    assert "digits-ae (ae) on big.npz/test: n=1200" in capsys.readouterr().out
