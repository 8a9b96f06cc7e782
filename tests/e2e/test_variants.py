"""Generate in Chromium: the VQ-VAE codebook draws a usage bar per code and redraws an image's grid of indices when
another is picked; the conditional VAE's style transfer redraws its row for another class."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import choose_option, open_page, wait_idle

pytestmark = pytest.mark.e2e
ROW = ".st-key-cvae_style_row img"


def test_style_transfer_follows_the_picked_class(page, app_server):
    open_page(page, app_server, "generate")
    page.get_by_text("Style transfer").first.scroll_into_view_if_needed()
    page.locator(ROW).first.wait_for(timeout=60_000)
    before = page.locator(ROW).first.get_attribute("src")
    choose_option(page, page.locator(".st-key-cvae_style_label"), "3")
    page.get_by_text("(3), then its code decoded as each class").wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator(ROW).first.get_attribute("src") != before
    assert page.locator('[data-testid="stException"]').count() == 0


CODES = '[data-testid="stDataFrame"] table td'  # the index grid, the page's one st.dataframe: its accessible table


def _codes(page) -> list[str]:
    return page.locator(CODES).all_text_contents()


def test_codebook_usage_has_a_bar_per_code_and_another_image_redraws_its_index_grid(page, app_server):
    open_page(page, app_server, "generate", "model=pretrained%2Fvq_vae")
    page.get_by_text("Code usage on the").scroll_into_view_if_needed(timeout=60_000)
    usage = page.locator(".st-key-codebook_usage .js-plotly-plot")
    usage.locator(".bars .point").first.wait_for(timeout=60_000)
    page.locator(CODES).first.wait_for(state="attached", timeout=60_000)  # hidden: the canvas shows the grid
    wait_idle(page)
    bars, total = usage.evaluate("gd => [gd.querySelectorAll('.bars .point').length, gd.data[0].y.reduce("
                                 "(a, b) => a + b, 0)]")
    n_test = int(page.get_by_text("Code usage on the").inner_text().split()[4].replace(",", ""))
    assert bars == 64 and total == 16 * n_test, (bars, total, n_test)  # K = 64 codes; 16 slots per test image
    before = _codes(page)
    assert len(before) == 16 and all(0 <= int(code) < 64 for code in before), before
    caption = page.get_by_text("and its decoding")  # "test #N (label) and its decoding"
    shown = caption.inner_text()
    index = page.locator(".st-key-codebook_pick_pos").get_by_role("spinbutton")  # which image of the picked label
    index.fill("5")
    index.press("Enter")
    expect(caption).not_to_have_text(shown, timeout=60_000)
    wait_idle(page)
    page.wait_for_function("([sel, old]) => { const now = [...document.querySelectorAll(sel)].map(td => "
                           "td.textContent); return now.length === 16 && now.join() !== old.join(); }",
                           arg=[CODES, before], timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
