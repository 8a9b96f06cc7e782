"""Fixtures for the AppTest modules: media (the images and files a page sent, as the browser receives them), and
trainings in the test's own process (the thread backend) unless a test or the environment asks for another: the
worker process is tested in tests/unit/test_executors.py and, through the Train page, in test_train_worker.py."""
import os

import pytest

from tests.apptest_helpers import media  # noqa: F401 (a fixture, found by pytest here for every module in tests/app)


@pytest.fixture(autouse=True)
def training_backend(monkeypatch):
    if "AELAB_TRAINING_BACKEND" not in os.environ:
        monkeypatch.setenv("AELAB_TRAINING_BACKEND", "thread")
