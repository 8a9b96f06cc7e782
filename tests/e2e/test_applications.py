"""Real browser: on the Applications page, the compression chart draws JPEG, WebP and the autoencoders; choosing
"whole file" moves the codecs' curves right; the super-resolution section's table follows its factor."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import open_page, wait_idle

pytestmark = pytest.mark.e2e


def _first_jpeg_x(page) -> float:
    return page.evaluate("""() => {
        const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
        return gd.data.find(t => t.name === 'JPEG').x[0];
    }""")


def test_counting_whole_files_moves_jpeg_and_superres_follows_the_factor(page, app_server):
    open_page(page, app_server, "applications")
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.locator(".legendtext").first.wait_for(timeout=120_000)
    legend = " ".join(chart.locator(".legendtext").all_text_contents())
    assert "JPEG" in legend and "WebP" in legend and "AE d=64" in legend
    payload = _first_jpeg_x(page)

    page.get_by_text("whole file", exact=True).click()
    page.wait_for_function("""(before) => {
        const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
        const jpeg = gd && gd.data.find(t => t.name === 'JPEG');
        return jpeg && jpeg.x[0] > before + 300;
    }""", arg=payload, timeout=60_000)
    wait_idle(page)

    page.get_by_text("Super-resolution", exact=True).click()
    table = page.locator('[data-testid="stTable"]').first
    table.wait_for(timeout=60_000)
    assert "autoencoder" in table.inner_text() and "Lanczos" in table.inner_text()
    factor = page.locator('[data-testid="stNumberInput"]').filter(has_text="Downscaling factor").locator("input")
    factor.fill("3")
    factor.press("Enter")
    page.wait_for_function("() => document.body.innerText.includes('does not divide')", timeout=60_000)
    factor.fill("4")
    factor.press("Enter")
    page.wait_for_function("() => document.body.innerText.includes('low-res (7x7)')", timeout=60_000)
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
