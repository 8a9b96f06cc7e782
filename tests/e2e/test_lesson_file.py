"""Lesson files in Chromium, opened from file:// in a context that is offline and whose every request is aborted (the
one let through is the navigation to the file itself, recorded like every other): each page's file decodes while the
mouse moves, as the app's live decoder does, and no request leaves the page. A browser without WebAssembly says why
it cannot decode. Saving from the app and opening a file in it again are tests/e2e/test_lesson_app.py's."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from aelab.analysis.images import to_uint8
from aelab.data.sources import load_dataset
from aelab.export.lesson import PAGES, build_lesson
from aelab.library.store import load_model
from aelab.resources import pretrained_root
from aelab.views.base import parse_query
from tests.app_server import CHROMIUM_ARGS
from tests.e2e.live import READY, canvas_greys, drag_frames, offline_page, wait_drawn

pytestmark = pytest.mark.e2e

MOVES, MIN_CHANGED = 30, 27
NO_WASM_FLAGS = ["--js-flags=--jitless"]  # no WebAssembly object (tests/e2e/test_live_traverse.py says why)


@pytest.fixture(scope="module")
def lessons(tmp_path_factory) -> dict[str, str]:
    """page -> the file:// address of its lesson with pretrained/vae on mnist-5k."""
    folder = tmp_path_factory.mktemp("lessons")
    record, dataset = load_model(pretrained_root() / "vae", pretrained=True), load_dataset("mnist-5k")
    views = {"traverse": "start=test:3", "interpolate": "t=0.1", "generate": "side=5&temperature=0.3",
             "latent": "points=500"}
    addresses = {}
    for page, query in views.items():
        path = folder / f"{page}.html"
        path.write_bytes(build_lesson(page, parse_query(PAGES[page], query)[0], record, dataset,
                                      model_key="pretrained/vae"))
        addresses[page] = path.as_uri()
    return addresses


def _drag(page, selector: str, press: bool = True, picture: str = "canvas.decoded") -> int:
    """Move the mouse across the control from 10% to 90% in MOVES steps; the steps whose picture changed."""
    page.wait_for_selector(READY, timeout=60_000)
    box = page.locator(selector).first.bounding_box()
    y = box["y"] + box["height"] / 2
    start, end = (box["x"] + 0.1 * box["width"], y), (box["x"] + 0.9 * box["width"], y)
    if not press:  # a plane: across its diagonal
        start, end = (box["x"] + 0.1 * box["width"], box["y"] + 0.2 * box["height"]), \
                     (box["x"] + 0.9 * box["width"], box["y"] + 0.8 * box["height"])
    changed, _ = drag_frames(page, page, start, end, MOVES, press=press, selector=picture)
    if press:
        page.mouse.up()
    return changed


def _left_alone(requests: list[str], address: str) -> None:
    """Every request the page made is the navigation to its own file (seen by the router and by the page)."""
    assert set(requests) == {address}, requests


@pytest.mark.parametrize("page_name, control", [
    ("traverse", ".rank-0 input[type=range]"),  # the top slider: the dimension the model uses most
    ("interpolate", "input[aria-label=t]"),  # the scrub from A to B
    ("generate", "input[aria-label=temperature]"),
])
def test_a_slider_decodes_at_each_move_with_no_request(browser, lessons, page_name, control):
    with offline_page(browser, lessons[page_name]) as (page, requests):
        changed = _drag(page, control)
        assert changed >= MIN_CHANGED, f"the picture changed at {changed} of {MOVES} moves"
        assert page.locator("#aelab-status").inner_text() == "Ready: decoded in this page, offline."
        _left_alone(requests, lessons[page_name])


def test_the_triangle_and_the_plane_decode_as_the_mouse_moves(browser, lessons):
    with offline_page(browser, lessons["interpolate"]) as (page, requests):
        assert _drag(page, "canvas.triangle", picture=".lesson-section:nth-of-type(2) canvas.decoded") >= MIN_CHANGED
        _left_alone(requests, lessons["interpolate"])
    with offline_page(browser, lessons["latent"]) as (page, requests):
        assert _drag(page, "canvas.plane", press=False) >= MIN_CHANGED
        _left_alone(requests, lessons["latent"])


def test_the_traverse_canvas_shows_what_torch_decodes(browser, lessons):
    model = load_model(pretrained_root() / "vae", pretrained=True).model
    with offline_page(browser, lessons["traverse"]) as (page, _):
        page.wait_for_selector(READY, timeout=60_000)
        handle = page.locator(".rank-0 input[type=range]")
        handle.focus()
        for _ in range(15):
            handle.press("ArrowRight")
        wait_drawn(page)
        code = torch.tensor(page.evaluate("() => window.aelabLive.lastCodes"), dtype=torch.float32)
        scale = page.evaluate("() => document.querySelector('canvas.decoded').width") // 28
        shown = np.asarray(canvas_greys(page, scale))
        expected = to_uint8(model.decode(code.view(1, -1)).detach()[0, 0]).astype(int)
        assert np.abs(shown - expected).max() <= 1 and shown.std() > 10


def test_without_webassembly_the_file_says_it_cannot_decode(browser_type, browser_type_launch_args, lessons):
    browser = browser_type.launch(**{**browser_type_launch_args, "args": [*CHROMIUM_ARGS, *NO_WASM_FLAGS]})
    try:
        with offline_page(browser, lessons["generate"]) as (page, requests):
            page.get_by_text("The decoder cannot run in this browser: this browser has no WebAssembly.").wait_for(
                timeout=30_000)
            assert page.locator(READY).count() == 0
            _left_alone(requests, lessons["generate"])
    finally:
        browser.close()
