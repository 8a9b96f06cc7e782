"""Real browser: on the Applications page, the compression chart draws JPEG, WebP and the autoencoders; choosing
"whole file" moves the codecs' curves right; the super-resolution section's table follows its factor; watermark removal
scores the AE trained on stamps above the plain one and shows its examples; memorisation's slider decodes along the
1-D code line and its training error is far below its test error."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

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


def _table_cell(table, method: str, column: str) -> float:
    """One number of a st.table: the row whose header cell is `method`, under the column header `column`."""
    headers = [text.strip() for text in table.locator("thead tr").first.locator("th").all_text_contents()]
    row = table.locator("tbody tr").filter(has=table.page.locator("th", has_text=method)).first
    cells = row.locator("td").all_text_contents()
    return float(cells[headers.index(column) - (len(headers) - len(cells))])  # headers start with the index's


def test_watermark_table_ranks_the_trained_model_above_the_plain_ae_and_shows_examples(page, app_server):
    open_page(page, app_server, "applications")
    page.get_by_text("Watermark removal", exact=True).click()
    page.get_by_text("restores best").wait_for(timeout=120_000)
    wait_idle(page)
    table = page.locator('[data-testid="stTable"]').first
    trained = _table_cell(table, "AE trained on stamps", "PSNR in stamp (dB)")
    plain = _table_cell(table, "plain AE", "PSNR in stamp (dB)")
    assert trained > plain + 1.0, (trained, plain)  # the AE trained on stamps removes them; the plain one keeps them
    # stamped, mask, the four methods' outputs and the original, each decoded by the browser
    page.wait_for_function("""() => { const imgs = [...document.querySelectorAll('[data-testid="stImage"] img')];
        return imgs.length >= 7 && imgs.every(img => img.complete && img.naturalWidth > 0); }""", timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def _metric(page, label: str) -> float:
    return float(page.locator('[data-testid="stMetric"]').filter(has_text=label).locator(
        '[data-testid="stMetricValue"]').inner_text())


def test_memorisation_slider_decodes_along_the_line_and_train_error_is_far_below_test(page, app_server):
    open_page(page, app_server, "applications")
    page.get_by_text("Memorisation", exact=True).click()
    slider = page.locator(".st-key-apps_memo_code").get_by_role("slider")
    slider.wait_for(timeout=120_000)
    wait_idle(page)
    train, test = _metric(page, "training images"), _metric(page, "test images")
    assert train * 5 < test, (train, test)  # learnt by heart: near zero on its own images only
    decoded = page.locator('[data-testid="stImage"] img').last  # the slider's image ends the section
    before = decoded.get_attribute("src")
    value = slider.get_attribute("aria-valuenow")
    slider.focus()
    for _ in range(20):
        slider.press("ArrowRight")
    expect(slider).not_to_have_attribute("aria-valuenow", value, timeout=30_000)
    expect(decoded).not_to_have_attribute("src", before, timeout=30_000)  # the fragment decoded the new code
    wait_idle(page)
    assert decoded.get_attribute("src") != before
    assert page.locator('[data-testid="stException"]').count() == 0
