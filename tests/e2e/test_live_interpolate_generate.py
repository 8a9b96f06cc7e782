"""The live decoder on Interpolate and Generate in Chromium: scrubbing t, dragging the point in the triangle and
dragging the temperature redraw the picture at (nearly) every mouse move, and the released value reaches the server."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import open_page
from tests.e2e.live import drag_frames, live_frame

pytestmark = pytest.mark.e2e

MOVES, MIN_CHANGED = 30, 27


def _drag_range(page, frame, start: float, end: float) -> tuple[int, float]:
    """Drag the frame's range input from start to end (fractions of its width); (changed frames, value released)."""
    track = frame.locator("input[type=range]").first
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    y = box["y"] + box["height"] / 2
    changed, _ = drag_frames(page, frame, (box["x"] + start * box["width"], y),
                             (box["x"] + end * box["width"], y), MOVES)
    value = float(track.input_value())
    page.mouse.up()
    return changed, value


def test_scrubbing_t_and_dragging_in_the_triangle(page, app_server):
    open_page(page, app_server, "interpolate", "model=pretrained%2Fvae")
    scrub = live_frame(page, ".st-key-interpolate_live_scrub_box")
    changed, t = _drag_range(page, scrub, 0.05, 0.95)
    assert changed >= MIN_CHANGED, f"the picture changed at {changed} of {MOVES} moves"
    page.get_by_text(f"Where you let go: t = {t:.2f}", exact=False).wait_for(timeout=30_000)

    triangle = live_frame(page, ".st-key-interpolate_live_triangle_box")
    board = triangle.locator("canvas.triangle")
    board.scroll_into_view_if_needed()
    box = board.bounding_box()
    top = (box["x"] + 0.5 * box["width"], box["y"] + 0.15 * box["height"])  # near A, down towards the B-C edge
    bottom = (box["x"] + 0.45 * box["width"], box["y"] + 0.9 * box["height"])
    changed, _ = drag_frames(page, triangle, top, bottom, MOVES)
    assert changed >= MIN_CHANGED, f"the triangle's picture changed at {changed} of {MOVES} moves"
    readout = triangle.locator(".status").inner_text()  # "wA = 0.00, wB = 0.55, wC = 0.45"
    page.mouse.up()
    server = "Where you let go: " + readout.replace("wA", "w_A").replace("wB", "w_B").replace("wC", "w_C")
    page.get_by_text(server, exact=False).wait_for(timeout=30_000)


def test_dragging_the_temperature_redraws_the_vae_grid_and_sets_the_pages(page, app_server):
    open_page(page, app_server, "generate")
    grid = live_frame(page, ".st-key-generate_live_grid")
    changed, temperature = _drag_range(page, grid, 0.1, 0.9)
    assert changed >= MIN_CHANGED, f"the grid changed at {changed} of {MOVES} moves"
    # the page's grids follow once it is let go (the live grid's slider is the page's one temperature control)
    page.get_by_text(f"64 samples, seed 0, temperature {temperature:.2f}").first.wait_for(timeout=30_000)
