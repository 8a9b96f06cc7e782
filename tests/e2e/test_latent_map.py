"""The Latent page's WebGL map in Chromium (software WebGL, SwiftShader): the hover panel decodes the map point under
the cursor in the page at (nearly) every step across empty map, on PCA (pretrained/vae: code mean + the PCA
inverse), on raw 2-D (pretrained/vae-2d: the point is the code) and on UMAP (pretrained/vae: the learned inverse
chained with the decoder); a lasso on the map fills the page's selection panels."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import open_page, wait_idle
from tests.e2e.live import MAP_SURFACE, canvas_digest, lasso_map, map_frame, wait_drawn

pytestmark = pytest.mark.e2e

SURFACE = MAP_SURFACE
DECODED = "[data-testid='hover-decoded']"
MOVES, MIN_CHANGED = 30, 27
EMPTY_ROWS = (0.04, 0.96, 0.02, 0.98)  # fractions of the map's height from its top


def open_map(page, app_server: str, model: str, query: str = ""):
    open_page(page, app_server, "latent", f"model=pretrained%2F{model}{query}")
    return map_frame(page)


def hover_across(page, frame, row: float) -> tuple[int, int]:
    """30 steps across the map at height `row` (a fraction of it from the top), waiting at each for the decoded
    picture. Returns (steps whose picture changed, steps that were over a point)."""
    box = frame.locator(SURFACE).bounding_box()
    y = box["y"] + row * box["height"]
    start, end = box["x"] + 0.03 * box["width"], box["x"] + 0.97 * box["width"]
    page.mouse.move(start, y)
    wait_drawn(frame)
    digests, over = [canvas_digest(frame, DECODED)], 0
    for k in range(1, MOVES + 1):
        page.mouse.move(start + (end - start) * k / MOVES, y)
        wait_drawn(frame)
        digests.append(canvas_digest(frame, DECODED))
        over += frame.locator(SURFACE).evaluate("c => 'over' in c.dataset")
    return sum(a != b for a, b in zip(digests[:-1], digests[1:])), over


@pytest.mark.parametrize("model, query, says", [
    ("vae", "", "mean + x PC1 + y PC2"),
    ("vae-2d", "", "decodes the hovered code"),
    ("vae", "&map=umap", "a small network learned from this map"),  # the learned inverse chained with the decoder
])
def test_hovering_empty_map_decodes_under_the_cursor(page, app_server, model, query, says):
    frame = open_map(page, app_server, model, query)
    page.get_by_text(says, exact=False).first.wait_for(timeout=30_000)
    # the data's square sits in the middle of the map: its top and bottom margins are empty but for outliers,
    # so the first row along which no step is over a point is the empty region hovered
    for row in EMPTY_ROWS:
        changed, over = hover_across(page, frame, row)
        if over == 0:
            break
    assert over == 0, f"no row of {EMPTY_ROWS} was free of points"
    assert changed >= MIN_CHANGED, f"the decoded picture changed at {changed} of {MOVES} steps"
    assert frame.evaluate("() => window.aelabLive.frames") >= MOVES  # decoded in the page, not by the server
    assert not frame.locator(DECODED).evaluate("c => c.closest('.hover-panel').hidden")


def test_a_lasso_on_the_map_fills_the_selection_panels(page, app_server):
    frame = open_map(page, app_server, "ae")
    lasso_map(page, frame)
    summary = page.locator("p", has_text="points selected").first
    summary.wait_for(timeout=30_000)
    wait_idle(page)
    total = int(summary.inner_text().split()[0])
    assert total >= 20, summary.inner_text()
    assert "sel=" in page.url  # the selection is the view's: it travels in the link
    assert page.get_by_test_id("stImageCaption").get_by_text("originals", exact=True).count() >= 1
    assert page.locator('[data-testid="stException"]').count() == 0
