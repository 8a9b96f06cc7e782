"""Interpolate in Chromium: the step slider, moved with the keyboard, changes how many frames each row holds."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import open_page, wait_idle

pytestmark = pytest.mark.e2e

ROWS = ".st-key-interpolate_row_images"


def _wait_for_rows(page, steps: int, rows: int = 3) -> None:
    """Wait until the row container shows `rows` pictures of `steps` frames each: a row picture is
    (steps * 30 + 2) * 3 pixels wide (28-px frames, 2-px gaps, enlarged 3 times)."""
    page.locator(ROWS).scroll_into_view_if_needed()
    page.wait_for_function(
        "([selector, rows, width]) => { const imgs = [...document.querySelectorAll(selector + ' img')];"
        " return imgs.length === rows && imgs.every(i => i.complete && i.naturalWidth === width); }",
        arg=[ROWS, rows, (steps * 30 + 2) * 3], timeout=30_000)


def test_arrow_keys_on_the_step_slider_change_the_frame_count(page, app_server):
    open_page(page, app_server, "interpolate", "model=pretrained%2Fvae")
    page.locator(ROWS).get_by_text("9 frames per row").wait_for()
    _wait_for_rows(page, 9)  # pixel blend, linear and slerp rows (a VAE)

    thumb = page.get_by_test_id("stSlider").filter(has_text="Steps").get_by_role("slider")
    thumb.focus()
    thumb.press("ArrowRight")
    thumb.press("ArrowRight")
    page.locator(ROWS).get_by_text("11 frames per row").wait_for()
    wait_idle(page)
    _wait_for_rows(page, 11)
    assert page.locator('[data-testid="stException"]').count() == 0
