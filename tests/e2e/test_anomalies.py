"""Real browser: on the Anomalies page, narrow the OOD sets to one and see the histogram and the AUC table follow."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import open_page, wait_idle

pytestmark = pytest.mark.e2e


def test_choosing_an_ood_set_updates_the_histogram_and_the_auc(page, app_server):
    open_page(page, app_server, "anomalies")
    table = page.locator('[data-testid="stTable"]').first
    table.wait_for(timeout=60_000)
    assert "pure noise" in table.inner_text() and "inverted digits" in table.inner_text()
    histogram = page.locator('[data-testid="stPlotlyChart"]').first
    histogram.locator(".legendtext").first.wait_for(timeout=30_000)
    assert "pure noise" in " ".join(histogram.locator(".legendtext").all_text_contents())

    chooser = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Out-of-distribution sets")
    chooser.get_by_role("button", name="Clear all").click()
    wait_idle(page)
    assert "Choose at least one" in page.locator('[data-testid="stAlert"]').first.inner_text()
    chooser.click()
    page.get_by_role("option", name="inverted digits", exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.querySelector('[data-testid=\"stTable\"]')"
                           "?.innerText.includes('inverted digits')", timeout=60_000)
    wait_idle(page)

    text = page.locator('[data-testid="stTable"]').first.inner_text()
    assert "inverted digits" in text and "pure noise" not in text
    assert "1.000" in text  # inverted digits are told apart from every test digit
    legend = page.locator('[data-testid="stPlotlyChart"]').first.locator(".legendtext").all_text_contents()
    assert legend == ["test split (in distribution)", "inverted digits"]
    assert page.locator('[data-testid="stException"]').count() == 0
