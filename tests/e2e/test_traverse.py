"""Traverse in Chromium: a live slider moved with the keyboard redraws the picture and sends its value to the server,
and Reset brings the first picture back; a digit drawn on the canvas becomes the starting image. The drag, the
pixels against torch and the fallback without WebAssembly: test_live_traverse.py."""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import open_page, wait_idle
from tests.e2e.live import CANVAS_DIGEST_JS, canvas_digest, live_frame, wait_drawn

pytestmark = pytest.mark.e2e

DECODED = ".st-key-traverse_decoded"
CODE_STATE = ".st-key-traverse_code_state"
CANVAS_IS = "(wanted) => (" + CANVAS_DIGEST_JS + ")('canvas.decoded') === wanted"


def test_arrow_keys_on_a_live_slider_redraw_and_reach_the_server_and_reset_restores_the_start(page, app_server):
    open_page(page, app_server, "traverse", "model=pretrained%2Fvae")
    page.locator(CODE_STATE).get_by_text("no slider moved yet").wait_for()
    frame = live_frame(page, DECODED)
    first = canvas_digest(frame)

    # The first slider is the most used dimension (highest KL): z9 for the shipped VAE (data-dim is 0-based, the
    # names the page shows are 1-based).
    top = frame.locator(".rank-0 input[type=range]")
    dim = f"z{int(top.get_attribute('data-dim')) + 1}"
    labels = frame.locator(".slider label span:first-child").all_inner_texts()
    assert len(labels) == 8 and all(re.match(r"z[1-9]\d*\s+\(KL ", label) for label in labels), labels  # no z0
    kls = [float(re.search(r"KL (-?[\d.]+)", label).group(1)) for label in labels]
    assert labels[0].startswith(dim + " ") and kls[0] == max(kls), labels
    top.focus()
    for _ in range(5):
        top.press("ArrowRight")
    wait_drawn(frame)
    assert canvas_digest(frame) != first
    value = float(top.input_value())
    # each key press is a release: the server's code follows (the caption lists moved dimensions with their values)
    page.locator(CODE_STATE).get_by_text(re.compile(rf"moved: .*\b{dim} = {value:.3f}")).wait_for()
    wait_idle(page)

    page.locator(CODE_STATE).get_by_role("button", name="Reset").click()
    page.locator(CODE_STATE).get_by_text("no slider moved yet").wait_for()
    frame.wait_for_function(CANVAS_IS, arg=first, timeout=10_000)  # the component follows the server's code
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_drawn_digit_becomes_the_start(page, app_server):
    open_page(page, app_server, "traverse", "model=pretrained%2Fae")
    canvas = page.locator("canvas.upper-canvas")
    for _ in range(3):  # a click that lands while a loaded server is still redrawing the radio can be lost: retry
        page.get_by_text("Draw it").click()
        wait_idle(page)
        try:
            canvas.wait_for(timeout=20_000)
            break
        except Exception:
            continue
    canvas.wait_for(timeout=30_000)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x0 + 0.5 * w, y0 + 0.15 * h)  # a 1: one vertical stroke
    page.mouse.down()
    for k in range(1, 15):
        page.mouse.move(x0 + 0.5 * w, y0 + (0.15 + 0.05 * k) * h)
    page.mouse.up()
    page.get_by_text("your drawing and its reconstruction").wait_for(timeout=30_000)
    wait_idle(page)
    assert page.locator(CODE_STATE).get_by_text("no slider moved yet").count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_point_clicked_on_the_latent_page_becomes_the_start(page, app_server):
    from tests.e2e.test_latent import click_chart, open_latent, position

    open_latent(page, app_server, "ae")
    point = position(page, trace=2, i=5)
    click_chart(page, point, f"index {point['index']}")
    page.get_by_text(f"Point #{point['index']}", exact=False).wait_for(timeout=30_000)
    wait_idle(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Traverse").click()  # same session
    use = page.get_by_role("button", name=f"Use the Latent Space selection (test #{point['index']})")
    use.wait_for(timeout=30_000)
    use.click()
    page.get_by_text(f"test #{point['index']} (", exact=False).first.wait_for(timeout=30_000)
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
