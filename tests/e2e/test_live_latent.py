"""The live plane of Latent Space in Chromium, with the shipped vae-2d: hovering across the plane redraws the decoded
picture at (nearly) every mouse move, and a click pins that very point in the page's view; the Plotly map beside it
keeps its selection (tests/e2e/test_latent.py)."""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import open_page, without_webgl
from tests.e2e.live import drag_frames, live_frame

pytestmark = pytest.mark.e2e

PLANE = ".st-key-latent_live_plane"
STATE = ".st-key-latent_live_state"
MOVES, MIN_CHANGED = 30, 27


def test_hovering_the_vae_2d_plane_decodes_at_each_move_and_a_click_pins_the_point(page, app_server):
    without_webgl(page)  # the live plane sits beside the Plotly map (with WebGL, the map decodes under the cursor)
    open_page(page, app_server, "latent", "model=pretrained%2Fvae-2d")
    page.get_by_text("it decodes the hovered code (z1, z2) itself").wait_for(timeout=30_000)
    frame = live_frame(page, PLANE)
    board = frame.locator("canvas.plane")
    board.scroll_into_view_if_needed()
    box = board.bounding_box()
    start = (box["x"] + 0.1 * box["width"], box["y"] + 0.2 * box["height"])
    end = (box["x"] + 0.9 * box["width"], box["y"] + 0.8 * box["height"])
    changed, _ = drag_frames(page, frame, start, end, MOVES, press=False)
    assert changed >= MIN_CHANGED, f"the picture changed at {changed} of {MOVES} moves"
    assert page.locator(STATE).get_by_text("No point pinned yet").count() == 1  # hovering sends nothing

    hovered = frame.locator(".status").first.inner_text()  # "z1 = 1.234, z2 = -0.567" (1-based, as the page names them)
    assert re.fullmatch(r"z1 = -?\d+\.\d{3}, z2 = -?\d+\.\d{3}", hovered), hovered
    page.mouse.down()
    page.mouse.up()
    page.locator(STATE).get_by_text(f"pinned: {hovered}, kept in the page's link").wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
