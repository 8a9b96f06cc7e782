"""Real browser: choose a corruption on the Denoise and inpaint page and see the score table change; paint a mask on
the canvas and see it scored."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import choose_option, open_page, wait_idle

pytestmark = pytest.mark.e2e


def _table(page):
    return page.locator('[data-testid="stTable"]').first


def _all_scores(page) -> str:
    """The full table (MSE, in-mask scores, ms / image), folded in an expander under the compact one."""
    return page.locator('[data-testid="stTable"]').nth(1).text_content()


def _choose(page, label: str, option: str) -> None:
    choose_option(page, page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first, option)


def test_choosing_a_corruption_shows_its_score_table(page, app_server):
    open_page(page, app_server, "restore")
    _choose(page, "Corruption", "Gaussian noise")
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stTable\"]')"
                           "?.innerText.includes('Telea inpainting')", timeout=60_000)
    table = _table(page)
    assert "Median filter 3x3" in table.inner_text() and "in mask" not in table.inner_text()  # no inpainting here
    _choose(page, "Corruption", "Box")
    page.wait_for_function("() => document.querySelector('[data-testid=\"stTable\"]')"
                           "?.innerText.includes('Telea inpainting')", timeout=60_000)
    # a rerun replaces elements in page order: the full table below may still be the Gaussian one for a moment
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stTable\"]')[1]"
                           "?.textContent.includes('known pixels')", timeout=60_000)
    text = _all_scores(page)
    assert "in mask" not in _table(page).inner_text()  # the compact table: PSNR and SSIM
    for expected in ("denoising_ae + known pixels", "Navier-Stokes inpainting", "PSNR in mask", "SSIM in mask"):
        assert expected in text
    # the best value of each column is marked in bold
    bold = page.locator('[data-testid="stTable"] td').evaluate_all(
        "cells => cells.filter(c => getComputedStyle(c).fontWeight >= 600).length")
    assert bold >= 6
    assert page.locator('[data-testid="stException"]').count() == 0


def test_painting_a_mask_on_the_canvas_scores_it(page, app_server):
    open_page(page, app_server, "restore")
    _choose(page, "Corruption", "Drawn mask")
    canvas = page.locator("canvas.upper-canvas").first  # Playwright's locators reach into the component's shadow DOM
    canvas.wait_for(timeout=30_000)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 60, box["y"] + 140)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(box["x"] + 60 + step * 8, box["y"] + 140, steps=2)
    page.mouse.up()
    page.wait_for_function("() => document.querySelector('[data-testid=\"stTable\"]')"
                           "?.innerText.includes('Telea inpainting')", timeout=60_000)
    wait_idle(page)
    assert "MSE in mask" in _all_scores(page)
    assert page.locator('[data-testid="stException"]').count() == 0
