"""Real browser: open the Playground, train on the spiral and see the vector field, step one epoch, draw points by
clicking on the plane and train on them."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import open_page, wait_idle

pytestmark = pytest.mark.e2e

PLANE_FRAME = 'iframe[title="streamlit_image_coordinates.streamlit_image_coordinates"]'


def _no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()


def _epochs(page, value: int) -> None:
    epochs = page.get_by_role("spinbutton", name="Epochs")
    epochs.fill(str(value))
    epochs.press("Enter")
    wait_idle(page)


def _chart_title(page, text: str) -> None:
    page.locator('[data-testid="stPlotlyChart"] .gtitle').filter(has_text=text).first.wait_for(timeout=60_000)


def test_train_on_the_spiral_see_the_vector_field_then_step_one_epoch(page, app_server):
    open_page(page, app_server, "playground")
    _chart_title(page, "spiral: 1000 points")
    _epochs(page, 20)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("epoch 20/20 (done").wait_for(timeout=180_000)
    wait_idle(page)
    _chart_title(page, "Vector field r(x) - x, epoch 20")
    # the arrows: five colour bins of lines beside the data and the true curve
    assert page.locator('[data-testid="stPlotlyChart"] .scatterlayer .trace').count() >= 7
    _no_exception(page)
    page.get_by_role("button", name="Step", exact=True).click()  # the model is done: Step trains it one epoch more
    page.get_by_text("epoch 20/20 (+1 stepped) (done").wait_for(timeout=60_000)
    wait_idle(page)
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text("epoch 20/20 (+2 stepped) (done").wait_for(timeout=60_000)
    _chart_title(page, "Vector field r(x) - x, epoch 22")
    _no_exception(page)


def test_draw_points_on_the_plane_and_train_on_them(page, app_server):
    open_page(page, app_server, "playground")
    page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(has_text="Data").first.click()
    page.get_by_role("option", name="Draw your own", exact=True).click()
    wait_idle(page)
    plane = page.frame_locator(PLANE_FRAME).locator("img")
    plane.wait_for(timeout=60_000)
    side = plane.bounding_box()["width"]  # the plane is shown at its column's width
    for i in range(11):  # a zigzag from left to right
        plane.click(position={"x": side * (0.08 + 0.078 * i), "y": side * (0.42 + (0.11 if i % 2 else -0.11))})
        page.get_by_text(f"{i + 1} point{'s' if i else ''} drawn").wait_for(timeout=60_000)
        wait_idle(page)
        if i == 2:
            page.get_by_text("Draw at least 10 points").first.wait_for(timeout=30_000)
    _no_exception(page)
    _epochs(page, 5)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("on drawn: epoch 5/5 (done").wait_for(timeout=120_000)
    wait_idle(page)
    _chart_title(page, "epoch 5")
    _no_exception(page)


def test_the_drawing_plane_fits_its_column_at_1280_px_and_its_far_corner_takes_a_point(browser, app_server):
    """At 1280 px with the sidebar open, the plane's column is ~300 px wide: the 360 px picture is shown at the
    column's width (it showed its left 265 px, the rest cut off), and a click in its top right corner lands there."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    open_page(page, app_server, "playground", "set=drawn")
    frame = page.locator(PLANE_FRAME)
    plane = page.frame_locator(PLANE_FRAME).locator("img")
    plane.wait_for(timeout=60_000)
    page.wait_for_function(f"() => document.querySelector('{PLANE_FRAME}').getBoundingClientRect().height > 200",
                           timeout=30_000)
    shown, box = plane.bounding_box(), frame.bounding_box()  # (the picture's box is in page coordinates)
    assert shown["width"] <= box["width"] + 0.5 and shown["height"] <= box["height"] + 0.5, (shown, box)
    assert box["x"] + box["width"] <= page.viewport_size["width"]
    plane.click(position={"x": shown["width"] - 2, "y": 2})
    page.get_by_text("1 point drawn").wait_for(timeout=60_000)
    page.wait_for_function("() => location.search.includes('pts=')", timeout=30_000)
    x, y = (float(v) for v in page.url.split("pts=")[1].split("&")[0].split("~"))
    assert x > 1.9 and y > 1.9, page.url  # the plane's top right corner is (2, 2)
    _no_exception(page)
    context.close()
