"""The data commands of the CLI: ``datasets`` and ``download``, plus the shared ``--data`` options."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aelab.cli import common
from aelab.cli import main as cli
from aelab.data.download import REMOTE_SOURCES
from tests.data_fixtures import closed_port_url, files_under, serving_source, write_synthetic_source

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A running local mirror serving synthetic files, registered as the "kmnist" source."""
    with serving_source(tmp_path / "served", monkeypatch, "kmnist") as server:
        yield server


def _table_rows(output: str) -> dict[str, str]:
    """name -> the rest of its row, for the rows of the datasets table."""
    return {line.split()[0]: line for line in output.splitlines() if line and line.split()[0] in _NAMES}


_NAMES = ("mnist-5k", "digits", "mnist", "fashion-mnist", "kmnist")


def test_datasets_lists_all_five_sources_with_their_status(data_cache, tmp_path, capsys):
    write_synthetic_source(tmp_path / "other" / "fashion-mnist")  # a cache holding one source
    assert cli.main(["datasets", "--data-dir", str(tmp_path / "other")]) == 0
    rows = _table_rows(capsys.readouterr().out)
    assert set(rows) == set(_NAMES)
    assert rows["mnist-5k"].split()[1:5] == ["28x28", "4,000", "1,000", "bundled"]
    assert rows["digits"].split()[1:5] == ["8x8", "1,438", "359", "bundled"]
    assert "cached" in rows["fashion-mnist"].split()
    assert "needs download" in rows["mnist"] and "needs download" in rows["kmnist"]


def test_download_against_a_local_mirror(data_cache, mirror, capsys):
    assert cli.main(["download", "kmnist", "--data-dir", str(data_cache)]) == 0
    out = capsys.readouterr().out
    assert str(data_cache / "kmnist") in out and "4 files verified" in out
    assert len(files_under(data_cache / "kmnist")) == 4
    assert cli.main(["download", "kmnist", "--data-dir", str(data_cache)]) == 0  # cached: no request
    assert "already downloaded" in capsys.readouterr().out and mirror.requests == 4


def test_download_from_a_dead_mirror_fails_with_one_line(data_cache, capsys):
    code = cli.main(["download", "mnist", "--mirror", closed_port_url()])
    err = capsys.readouterr().err
    assert code != 0 and err.count("\n") == 1 and err.startswith("error: Downloading mnist failed")
    assert "mnist-5k, digits and shapes are bundled" in err and files_under(data_cache) == []


def test_download_of_a_bundled_source_needs_nothing(data_cache, capsys):
    assert cli.main(["download", "mnist-5k"]) == 0
    assert "bundled" in capsys.readouterr().out


def test_unknown_names_are_one_line_errors(data_cache, capsys):
    assert cli.main(["download", "cifar"]) == 2
    assert capsys.readouterr().err == (
        "error: 'cifar' is not a downloadable source; choose one of mnist, fashion-mnist, kmnist "
        "(mnist-5k, digits and shapes are bundled and need no download).\n"
    )


def test_add_data_argument_defaults_to_mnist_5k_and_loads(data_cache, tmp_path):
    parser = argparse.ArgumentParser()
    common.add_data_argument(parser)
    args = parser.parse_args([])
    assert (args.data, args.data_dir, args.mirror) == ("mnist-5k", None, None)
    assert "a path to an IDX folder, .npz or .zip" in " ".join(parser.format_help().split())
    args = parser.parse_args(["--data", "digits", "--data-dir", str(tmp_path)])
    assert common.dataset_from_args(args).image_size == (8, 8)


def test_python_dash_m_aelab_runs(data_cache):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run([sys.executable, "-m", "aelab", "datasets"], capture_output=True, text=True, env=env,
                            cwd=REPO_ROOT, timeout=60)
    assert result.returncode == 0 and "fashion-mnist" in result.stdout
    assert REMOTE_SOURCES["kmnist"].mirror.startswith("http")  # the real registry, untouched by the fixtures
