"""The conditional VAE's style transfer in Chromium: picking another test image's class redraws the row."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import open_page, wait_idle

pytestmark = pytest.mark.e2e
ROW = ".st-key-cvae_style_row img"


def test_style_transfer_follows_the_picked_class(page, app_server):
    open_page(page, app_server, "generate")
    page.get_by_text("Style transfer").first.scroll_into_view_if_needed()
    page.locator(ROW).first.wait_for(timeout=60_000)
    before = page.locator(ROW).first.get_attribute("src")
    page.locator(".st-key-cvae_style_label").click()
    page.get_by_role("option", name="3", exact=True).click()
    page.get_by_text("(3), then its code decoded as each class").wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator(ROW).first.get_attribute("src") != before
    assert page.locator('[data-testid="stException"]').count() == 0
