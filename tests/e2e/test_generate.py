"""Generate in Chromium: Resample draws new grids; setting the seed back shows the first grids again."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import open_page, wait_idle

pytestmark = pytest.mark.e2e


def _grid_sources(page) -> list[str]:
    """The three sample grids: the page's first three images (the Codebook and Conditional VAE sections follow)."""
    images = page.locator('[data-testid="stImage"] img')
    return [images.nth(i).get_attribute("src") for i in range(min(3, images.count()))]


def test_resample_changes_the_grids_and_the_seed_brings_them_back(page, app_server):
    open_page(page, app_server, "generate")
    page.get_by_text("VAE: codes from the prior N(0, I)").wait_for()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stImage\"] img').length >= 3")
    wait_idle(page)
    first = _grid_sources(page)
    assert len(first) == 3
    page.get_by_role("button", name="Resample").click()
    wait_idle(page)
    page.get_by_text("seed 1").first.wait_for()
    second = _grid_sources(page)
    assert len(second) == 3 and all(a != b for a, b in zip(first, second))
    seed = page.get_by_label("Seed", exact=True).and_(page.get_by_test_id("stNumberInputField"))
    seed.fill("0")
    seed.press("Enter")
    page.get_by_text("seed 0").first.wait_for()
    wait_idle(page)
    assert _grid_sources(page) == first
