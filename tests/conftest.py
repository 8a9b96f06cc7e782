"""Fixtures shared by the test modules. Keep each one small and say what it holds."""
from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="session")
def mnist5k(tmp_path_factory):
    """The bundled mnist-5k Dataset (x_train (4000, 1, 28, 28), x_test (1000, 1, 28, 28) float32 in [0, 1]), loaded
    once per session with its cache in a temporary folder rather than the user's."""
    from aelab.data.sources import load_dataset

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AELAB_DATA_DIR", str(tmp_path_factory.mktemp("data-cache")))
        return load_dataset("mnist-5k")


@pytest.fixture
def data_cache(tmp_path, monkeypatch):
    """An empty data cache folder (AELAB_DATA_DIR points at it), so downloads never touch the user's cache. (Not
    named `cache`: that is pytest's own fixture.)"""
    folder = tmp_path / "cache"
    monkeypatch.setenv("AELAB_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def small_images(mnist5k) -> torch.Tensor:
    """A fixed batch of 32 real digits, (32, 1, 28, 28) in [0, 1]; a fresh copy per test, so none can alter
    another's."""
    return mnist5k.x_train[:32].clone()


@pytest.fixture(scope="module")
def single_thread():
    """Run a module on one thread (torch's intra-op pool, OpenMP and BLAS); module-scoped fixtures that train or fit
    should request it too. The models under test are small, and on a 2-core machine where another process is busy,
    two threads made each training step 50-100x slower (0.3 s instead of 3 ms) and scikit-learn's PCA fit 70x slower
    (19 s instead of 0.3 s), measured."""
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(before)
