"""Real browser: the Known factors page on a dataset without factors shows the shapes by itself (its heatmap, labelled
traversals, shipped scores and beta sweep) and can make them every page's; a new point trained in the background
appears on the sweep."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import open_page, wait_idle

pytestmark = pytest.mark.e2e


def test_the_page_shows_the_shapes_by_itself_and_their_shipped_results(page, app_server):
    open_page(page, app_server, "factors")
    page.get_by_text("mnist-5k has no known factors", exact=False).wait_for(timeout=60_000)
    page.get_by_text("What each dimension tells about each factor").wait_for(timeout=120_000)
    wait_idle(page)
    assert "data=shapes" not in page.url  # this page only
    page.locator('[data-testid="stPlotlyChart"] .heatmaplayer').first.wait_for(timeout=60_000)
    page.get_by_text("MIG of shapes-beta-vae-16 =").wait_for(timeout=30_000)
    labels = page.locator('[data-testid="stMarkdownContainer"] strong').filter(has_text="z")
    assert labels.filter(has_text="(").count() >= 10  # one labelled traversal per dimension
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Score shapes-beta-vae-16").count() == 0  # shipped: nothing to compute
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 3  # heatmap, scores, sweep
    assert page.locator('[data-testid="stException"]').count() == 0
    page.get_by_role("button", name="Use shapes everywhere").click()
    page.wait_for_function("() => location.search.includes('data=shapes')", timeout=60_000)
    wait_idle(page)
    assert "shapes-beta-vae-16" in page.url


def test_a_beta_point_trains_in_the_background_and_joins_the_sweep(page, app_server):
    open_page(page, app_server, "factors", "data=shapes&model=pretrained/shapes-beta-vae-16")
    page.get_by_text("The beta sweep: disentanglement against reconstruction").wait_for(timeout=120_000)
    epochs = page.get_by_role("spinbutton", name="epochs")
    epochs.fill("1")
    epochs.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Train a beta-VAE and add the point").click()
    page.locator('[data-testid="stProgress"]').first.wait_for(timeout=60_000)  # the job's progress bar
    page.get_by_text("added here").first.wait_for(timeout=240_000)  # the sweep's legend, once the point is in
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
