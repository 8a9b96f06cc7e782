"""aelab.data.download against a throw-away HTTP server on 127.0.0.1: verified, atomic, cached, offline-aware."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aelab.data import sources as data
from aelab.data.download import REMOTE_SOURCES, TRAIN_IMAGES, data_dir, download, is_cached
from aelab.errors import DataError
from tests.data_fixtures import (
    closed_port_url,
    files_under,
    register_test_source,
    serving_source,
    synthetic_source_arrays,
)


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A running local mirror serving synthetic MNIST files, registered as the "mnist" source."""
    with serving_source(tmp_path / "served", monkeypatch, "mnist") as server:
        yield server


def test_data_dir_follows_argument_then_environment(data_cache, tmp_path):
    assert data_dir() == data_cache
    assert data_dir(tmp_path / "elsewhere") == tmp_path / "elsewhere"


def test_download_verifies_caches_and_loads(data_cache, mirror):
    calls = []
    folder = download("mnist", progress=lambda done, total: calls.append((done, total)))
    assert folder == data_cache / "mnist"
    assert sorted(p.name for p in files_under(data_cache)) == sorted(REMOTE_SOURCES["mnist"].checksums)
    assert mirror.requests == 4 and is_cached("mnist")
    starts = [call for call in calls if call[0] == 0]
    assert len(starts) == 4 and all(total > 0 for _, total in starts)  # servers send Content-Length
    assert calls[-1][0] == calls[-1][1]  # the last file reported complete

    ds = data.load_dataset("mnist")
    arrays = list(synthetic_source_arrays().values())
    assert torch.equal(ds.x_train[:, 0], torch.from_numpy(arrays[0]).float() / 255)
    assert torch.equal(ds.y_test, torch.from_numpy(arrays[3].astype(np.int64)))
    assert ds.class_names == tuple("0123456789") and ds.name == "mnist"
    assert [info.status for info in data.list_sources() if info.name == "mnist"] == ["cached"]


def test_second_call_uses_the_cache_without_the_network(data_cache, mirror):
    download("mnist")
    mirror.stop()
    assert download("mnist") == data_cache / "mnist"  # the server is gone: any request would fail
    assert len(data.load_dataset("mnist").x_train) == 30


def test_wrong_checksum_leaves_nothing_behind(data_cache, mirror, monkeypatch):
    checksums = dict(REMOTE_SOURCES["mnist"].checksums)
    checksums[TRAIN_IMAGES] = "0" * 32
    register_test_source(monkeypatch, "mnist", mirror.url, checksums)
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz .* failed its checksum"):
        download("mnist")
    assert files_under(data_cache) == []
    assert not is_cached("mnist")


def test_a_failure_after_some_files_removes_those_too(data_cache, mirror, monkeypatch):
    checksums = dict(REMOTE_SOURCES["mnist"].checksums)
    checksums["t10k-labels-idx1-ubyte.gz"] = "0" * 32  # the last file fails after three were verified
    register_test_source(monkeypatch, "mnist", mirror.url, checksums)
    with pytest.raises(DataError, match="checksum"):
        download("mnist")
    assert files_under(data_cache) == [] and mirror.requests == 4


def test_connection_cut_half_way_leaves_nothing(data_cache, mirror):
    mirror.cut_files.add(TRAIN_IMAGES)
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz .* was cut off after [\d,]+ of [\d,]+ bytes"):
        download("mnist")
    assert files_under(data_cache) == []


def test_ctrl_c_during_a_download_leaves_nothing(data_cache, mirror):
    def interrupt(done, total):
        if done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download("mnist", progress=interrupt)
    assert files_under(data_cache) == []


def test_http_error_is_reported(data_cache, mirror, monkeypatch):
    register_test_source(monkeypatch, "mnist", mirror.url + "missing/", REMOTE_SOURCES["mnist"].checksums)
    with pytest.raises(DataError, match="HTTP 404"):
        download("mnist")
    assert files_under(data_cache) == []


def test_unreachable_mirror_says_the_bundled_sources_work_offline(data_cache):
    with pytest.raises(DataError,
                       match="could not be reached .*; mnist-5k, digits and shapes are bundled and work offline"):
        download("fashion-mnist", mirror=closed_port_url())
    assert files_under(data_cache) == []


def test_mirror_argument_replaces_the_base_url(data_cache, mirror, monkeypatch):
    register_test_source(monkeypatch, "mnist", closed_port_url(), REMOTE_SOURCES["mnist"].checksums)
    download("mnist", mirror=mirror.url.rstrip("/"))  # a missing trailing slash is added
    assert is_cached("mnist")


def test_load_dataset_refuses_an_uncached_source_unless_asked_to_download(data_cache, mirror):
    with pytest.raises(DataError, match=r"run `python -m aelab download mnist` \(or press Download in the app\)"):
        data.load_dataset("mnist")
    assert mirror.requests == 0
    assert len(data.load_dataset("mnist", download=True).x_test) == 10


def test_unknown_or_bundled_names_and_bad_mirrors_are_refused(data_cache):
    with pytest.raises(DataError, match="choose one of mnist, fashion-mnist, kmnist"):
        download("mnist-5k")
    with pytest.raises(DataError, match="not an http:// or https:// URL"):
        download("mnist", mirror="file:///etc/")


def test_registry_matches_the_published_checksums():
    # The MD5s torchvision verifies against; a typo here would refuse every real download.
    assert REMOTE_SOURCES["mnist"].checksums[TRAIN_IMAGES] == "f68b3c2dcbeaaa9fbdd348bbdeb94873"
    assert REMOTE_SOURCES["fashion-mnist"].checksums[TRAIN_IMAGES] == "8d4fb7e6c68d591d4c3dfef9ec88bf0d"
    assert REMOTE_SOURCES["kmnist"].checksums[TRAIN_IMAGES] == "bdb82020997e1d708af4cf47b453dcf7"
    for source in REMOTE_SOURCES.values():
        assert len(source.checksums) == 4 and len(source.class_names) == 10
