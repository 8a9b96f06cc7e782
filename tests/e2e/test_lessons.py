"""Real browser: switch between the Lessons page's sections, and train a linear AE to see its angles replace the
pretrained model's."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import open_page, wait_idle

pytestmark = pytest.mark.e2e


def _section(page, label: str, heading: str) -> None:
    page.get_by_role("radio", name=label, exact=True).click()  # the segmented control's options are radios
    page.get_by_text(heading, exact=True).first.wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0


def _metric(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def test_switching_sections_draws_each_lesson(page, app_server):
    open_page(page, app_server, "lessons")
    page.get_by_text("PCA is a linear autoencoder", exact=True).wait_for(timeout=60_000)
    assert float(_metric(page, "Largest principal angle").rstrip("°")) < 15
    _section(page, "k-means = AE", "k-means and soft k-means are autoencoders")
    page.get_by_text("Each k-means code has exactly one 1").wait_for(timeout=30_000)
    _section(page, "Bottleneck size", "How big should the code be?")
    page.locator('[data-testid="stPlotlyChart"] .scatterlayer .trace').first.wait_for(timeout=30_000)
    assert page.locator('[data-testid="stPlotlyChart"] .scatterlayer .trace').count() == 4  # four methods
    _section(page, "Under/over-complete", "Under- and over-complete")
    page.get_by_text("x lower than the denoising AE").wait_for(timeout=30_000)
    _section(page, "First-layer weights", "What the encoder's first layer learned")
    page.get_by_text("256 first-layer units: the 64 with the largest weights").nth(1).wait_for(timeout=30_000)
    assert page.locator('[data-testid="stMain"] [data-testid="stImage"]').count() == 2
    assert "section=weights" in page.url  # a link to this lesson
    _section(page, "Rate and distortion", "What beta trades: rate and distortion")
    sweep = page.locator('[data-testid="stPlotlyChart"] .scatterlayer .trace').first.locator(".points path")
    sweep.first.wait_for(timeout=30_000)
    assert sweep.count() == 7  # the shipped mnist-5k sweep: one point per beta


def test_training_a_linear_ae_replaces_the_pretrained_angles(page, app_server):
    open_page(page, app_server, "lessons", "section=pca")
    page.get_by_text("PCA is a linear autoencoder", exact=True).wait_for(timeout=60_000)
    slider = page.get_by_role("slider").first
    slider.focus()
    slider.press("ArrowLeft")  # d = 16 -> 8: no pretrained model has that size
    page.get_by_text("No linear AE with a 8-number code").wait_for(timeout=30_000)
    epochs = page.get_by_role("spinbutton", name="Epochs")
    epochs.fill("15")
    epochs.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Train a linear AE with d = 8 here and watch the angles fall").click()
    page.get_by_text("Linear AE: trained here").wait_for(timeout=120_000)
    wait_idle(page)
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 3  # angles, angles per epoch, |cosine|
    assert float(_metric(page, "Median principal angle").rstrip("°")) < 30
    assert page.locator('[data-testid="stException"]').count() == 0
