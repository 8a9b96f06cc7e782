"""Fixtures for the AppTest modules: media (the images and files a page sent, as the browser receives them)."""
from tests.apptest_helpers import media  # noqa: F401 (a fixture, found by pytest here for every module in tests/app)
