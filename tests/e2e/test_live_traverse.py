"""The live decoder on Traverse in Chromium: dragging the top slider redraws the picture at (nearly) every mouse move
before release and the server gets the last value on release; the picture is torch's decode, pixel for pixel within
1/255; before its runtime is ready the component answers through the server, then decodes in the page; without
WebAssembly (a Chromium started with --jitless) the page falls back to the server path with its notice."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from aelab.analysis.images import to_uint8
from aelab.library.store import load_model
from tests.app_server import CHROMIUM_ARGS, REPO, VIEWPORT
from tests.e2e.conftest import open_page, wait_idle
from tests.e2e.live import canvas_digest, canvas_greys, drag_frames, live_frame, wait_drawn

pytestmark = pytest.mark.e2e

DECODED = ".st-key-traverse_decoded"
CODE_STATE = ".st-key-traverse_code_state"
MOVES, MIN_CHANGED = 30, 27
# A Chromium without WebAssembly. --js-flags=--noexpose_wasm did this once; V8 dropped that flag (Chromium 156 here
# ignores it), and --jitless, which forbids run-time code generation, leaves no WebAssembly object either.
NO_WASM_FLAGS = ["--js-flags=--jitless"]


def test_dragging_the_top_slider_redraws_at_each_move_and_the_server_gets_the_released_value(page, app_server):
    open_page(page, app_server, "traverse", "model=pretrained%2Fvae")
    frame = live_frame(page, DECODED)
    top = frame.locator(".rank-0 input[type=range]")  # the most important dimension (highest KL)
    low, high, step = (float(top.get_attribute(name)) for name in ("min", "max", "step"))
    assert step <= (high - low) / 100 + 1e-9
    box = top.bounding_box()  # page coordinates, the frame's offset included
    y = box["y"] + box["height"] / 2
    changed, _ = drag_frames(page, frame, (box["x"] + 0.1 * box["width"], y), (box["x"] + 0.9 * box["width"], y),
                             MOVES)
    value = float(top.input_value())
    assert changed >= MIN_CHANGED, f"the picture changed at {changed} of {MOVES} moves"
    assert page.locator(CODE_STATE).get_by_text("no slider moved yet").count() == 1  # nothing sent while dragging
    page.mouse.up()
    dim = int(top.get_attribute("data-dim")) + 1  # 0-based index; the page names it z1..zd
    page.locator(CODE_STATE).get_by_text(re.compile(rf"moved: z{dim} = {value:.3f}\b")).wait_for(timeout=30_000)
    assert value > low + 0.8 * (high - low)  # the thumb followed the mouse to 90% of the track


def test_the_canvas_shows_what_torch_decodes(page, app_server):
    open_page(page, app_server, "traverse", "model=pretrained%2Fconv_ae")
    frame = live_frame(page, DECODED)
    model = load_model(REPO / "pretrained" / "conv_ae").model.eval()
    scale = frame.evaluate("() => document.querySelector('canvas.decoded').width") // 28
    assert scale * 28 >= 280
    moves = [(".rank-0", "ArrowRight", 0), (".rank-0", "ArrowRight", 12), (".rank-1", "ArrowLeft", 20)]
    for slider, key, presses in moves:
        handle = frame.locator(f"{slider} input[type=range]")
        handle.focus()
        for _ in range(presses):
            handle.press(key)
        wait_drawn(frame)
        code = torch.tensor(frame.evaluate("() => window.aelabLive.lastCodes"), dtype=torch.float32)
        expected = to_uint8(model.decode(code.view(1, -1)).detach()[0, 0]).astype(int)
        shown = np.asarray(canvas_greys(frame, scale))
        assert shown.shape == (28, 28)
        assert np.abs(shown - expected).max() <= 1, f"after {presses} x {key} on {slider}"
        assert shown.std() > 10  # a digit, not a blank canvas


def test_before_its_first_frame_the_component_answers_through_the_server_then_decodes_in_the_page(browser, app_server):
    """The runtime's .wasm.gz is held back (its requests wait, from the page and from the frame) until the slider has
    been moved: meanwhile the picture comes from the server and follows the slider; then it is let through, the
    canvas says data-live="ready", and a move is decoded in the page, with no further server picture."""
    context = browser.new_context(viewport=VIEWPORT)
    held = []

    def hold(route):  # each request waits in `held`
        held.append(route)

    context.route("**/ort-wasm-simd-threaded.wasm.gz", hold)
    try:
        page = context.new_page()
        open_page(page, app_server, "traverse", "model=pretrained%2Fconv_ae")
        frame = page.locator(f"{DECODED} iframe").first.element_handle().content_frame()
        canvas = "canvas.decoded"
        frame.wait_for_selector(f'{canvas}[data-live="server"]', timeout=60_000)  # the first picture, the server's
        assert held and frame.evaluate("() => window.aelabLive.frames") == 0
        top = frame.locator(".rank-0 input[type=range]")
        before = canvas_digest(frame)
        top.focus()
        for _ in range(10):
            top.press("ArrowRight")
        frame.wait_for_function("() => window.aelabLive.serverFrames >= 2 && "
                                "window.aelabLive.drawnSeq === window.aelabLive.inputSeq", timeout=60_000)
        assert canvas_digest(frame) != before  # the picture followed the slider, decoded on the server
        assert frame.evaluate("() => [window.aelabLive.frames, window.aelabLive.ready]") == [0, False]
        assert frame.get_attribute(canvas, "data-live") == "server"

        for route in held:
            route.continue_()
        context.unroute("**/ort-wasm-simd-threaded.wasm.gz")
        frame.wait_for_selector(f'{canvas}[data-live="ready"]', timeout=120_000)
        server_frames, after = frame.evaluate("() => window.aelabLive.serverFrames"), canvas_digest(frame)
        for _ in range(10):
            top.press("ArrowLeft")
        wait_drawn(frame)
        assert frame.evaluate("() => window.aelabLive.frames") >= 2  # decoded in the page...
        assert frame.evaluate("() => window.aelabLive.serverFrames") == server_frames  # ...and not by the server
        assert canvas_digest(frame) != after
    finally:
        context.close()


def test_without_webassembly_the_page_uses_the_server_and_says_so(browser_type, browser_type_launch_args,
                                                                     app_server):
    browser = browser_type.launch(**{**browser_type_launch_args,
                                     "args": [*CHROMIUM_ARGS, *NO_WASM_FLAGS]})
    try:
        page = browser.new_page(viewport=VIEWPORT)
        open_page(page, app_server, "traverse", "model=pretrained%2Fae")
        assert page.evaluate("typeof WebAssembly") == "undefined"
        notice = page.get_by_text("Live decoding is off: this browser has no WebAssembly.")
        notice.wait_for(timeout=30_000)
        wait_idle(page)
        assert notice.count() == 1
        image = page.locator(f"{DECODED} img").first
        before = image.get_attribute("src")
        thumb = page.locator('[class*="st-key-traverse_z"]').first.get_by_role("slider")
        thumb.focus()
        thumb.press("ArrowRight")
        page.wait_for_function("([sel, before]) => document.querySelector(sel).getAttribute('src') !== before",
                               arg=[f"{DECODED} img", before], timeout=30_000)
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        browser.close()
