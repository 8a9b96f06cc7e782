"""Helpers for the live decoder in Chromium: find its frame, wait for its model, drag or hover and read the canvas;
open a lesson file offline.

The component's page keeps its counters in window.aelabLive (frontend/live.js): inputSeq (codes asked for), drawnSeq
(the last one drawn), frames, latencies and the cache outcome; tests and bench/live_decoder.py read them. A lesson
file's page keeps the same counters (aelab/export/viewer/lesson.js), so the same helpers read it."""
from __future__ import annotations

import math
from contextlib import contextmanager

from tests.app_server import VIEWPORT

READY = "body[data-ready='1']"  # a lesson file's page once every view has drawn its first picture

CANVAS_DIGEST_JS = """(selector) => {
  const canvas = document.querySelector(selector);
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let h = 2166136261;  // FNV-1a over the pixels: equal pictures, equal digests
  for (let i = 0; i < data.length; i++) { h ^= data[i]; h = Math.imul(h, 16777619); }
  return h >>> 0;
}"""

CANVAS_GREYS_JS = """([selector, scale]) => {  // the picture's grey levels, one per model pixel (the upscaling undone)
  const canvas = document.querySelector(selector);
  const {width, height} = canvas, data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  const rows = [];
  for (let y = 0; y < height; y += scale) {
    const row = [];
    for (let x = 0; x < width; x += scale) row.push(data[(y * width + x) * 4]);
    rows.push(row);
  }
  return rows;
}"""


def live_frame(page, container: str, timeout: float = 60_000):
    """The live decoder's frame inside the keyed container (e.g. ".st-key-traverse_decoded"), once its model is
    loaded and its first picture drawn."""
    iframe = page.locator(f"{container} iframe").first
    iframe.wait_for(timeout=timeout)
    frame = iframe.element_handle().content_frame()
    frame.wait_for_function("() => window.aelabLive && window.aelabLive.ready && window.aelabLive.frames > 0",
                            timeout=timeout)
    return frame


def wait_drawn(frame, timeout: float = 10_000) -> None:
    """Wait until the last code asked for has been drawn."""
    frame.wait_for_function("() => window.aelabLive.drawnSeq === window.aelabLive.inputSeq", timeout=timeout)


def canvas_digest(frame, selector: str = "canvas.decoded") -> int:
    return frame.evaluate(CANVAS_DIGEST_JS, selector)


def canvas_greys(frame, scale: int, selector: str = "canvas.decoded") -> list[list[int]]:
    return frame.evaluate(CANVAS_GREYS_JS, [selector, scale])


def drag_frames(page, frame, start: tuple[float, float], end: tuple[float, float], moves: int = 30,
                press: bool = True, selector: str = "canvas.decoded") -> tuple[int, list[int]]:
    """Move the mouse from start to end (page coordinates) in `moves` equal steps, button held if press; after each
    step wait for the picture (the canvas `selector`) and read it. Returns (steps whose picture differs from the
    step before, digests)."""
    page.mouse.move(*start)
    if press:
        page.mouse.down()
    wait_drawn(frame)
    digests = [canvas_digest(frame, selector)]
    for k in range(1, moves + 1):
        page.mouse.move(start[0] + (end[0] - start[0]) * k / moves, start[1] + (end[1] - start[1]) * k / moves)
        wait_drawn(frame)
        digests.append(canvas_digest(frame, selector))
    changed = sum(a != b for a, b in zip(digests[:-1], digests[1:]))
    return changed, digests


@contextmanager
def offline_page(browser, address: str):
    """A page of an offline context in which every request is aborted but the navigation to `address`; yields the
    page and the list of every request it made (routed or seen)."""
    context = browser.new_context(offline=True, viewport=VIEWPORT)
    requests: list[str] = []

    def route(route):
        requests.append(route.request.url)
        if route.request.url == address and route.request.is_navigation_request():
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(address)
        yield page, requests
    finally:
        context.close()


# ------------------------------------------------------------------------------------ the Latent page's WebGL map
MAP_FRAME = ".st-key-latent_map_frame"
MAP_SURFACE = "[data-testid='latent-map']"


def map_frame(page, timeout: float = 60_000, container: str = MAP_FRAME):
    """The Latent page's map frame (frontend/map.js; or the one in another keyed container), once its points are
    drawn and its decoder loaded."""
    iframe = page.locator(f"{container} iframe").first
    iframe.wait_for(timeout=timeout)
    frame = iframe.element_handle().content_frame()
    frame.wait_for_function(f"() => window.aelabLive?.ready && document.querySelector(\"{MAP_SURFACE}\")"
                            "?.dataset.points", timeout=timeout)
    frame.locator(MAP_SURFACE).scroll_into_view_if_needed()
    return frame


def hover_across(page, frame, row: float, moves: int = 30) -> tuple[int, int]:
    """`moves` steps across a map (frontend/map.js) at height `row` (a fraction of it from the top), waiting at each
    for the decoded picture. Returns (steps whose picture changed, steps that were over a point)."""
    surface, decoded = frame.locator(MAP_SURFACE), "[data-testid='hover-decoded']"
    box = surface.bounding_box()
    y = box["y"] + row * box["height"]
    start, end = box["x"] + 0.03 * box["width"], box["x"] + 0.97 * box["width"]
    page.mouse.move(start, y)
    wait_drawn(frame)
    digests, over = [canvas_digest(frame, decoded)], 0
    for k in range(1, moves + 1):
        page.mouse.move(start + (end - start) * k / moves, y)
        wait_drawn(frame)
        digests.append(canvas_digest(frame, decoded))
        over += surface.evaluate("c => 'over' in c.dataset")
    return sum(a != b for a, b in zip(digests[:-1], digests[1:])), over


def lasso_map(page, frame, radius: float = 0.3, moves: int = 40) -> None:
    """Lasso a circle of `radius` (a fraction of the map's height) around the map's centre with the map's Lasso
    button. Each move waits until the lasso has taken it (regl-scatterplot samples the pointer, throttled): the
    first starts the lasso (the surface's data-lasso appears), each later one adds a vertex (data-lasso counts)."""
    frame.get_by_role("button", name="Lasso select").click()
    box = frame.locator(MAP_SURFACE).bounding_box()
    cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, radius * box["height"]
    vertices = f"Number(document.querySelector(\"{MAP_SURFACE}\").dataset.lasso ?? -1)"
    page.mouse.move(cx + r, cy)
    page.mouse.down()
    for k in range(1, moves + 1):
        before = frame.evaluate(f"() => {vertices}")
        angle = 2 * math.pi * k / moves
        page.mouse.move(cx + r * math.cos(angle), cy + r * math.sin(angle))
        frame.wait_for_function(f"() => {vertices} > {before}", timeout=10_000)
    page.mouse.up()


def write_big_mnist(folder) -> None:
    """70,000 MNIST-sized images for the "mnist" source, offline: the bundled 5,000 repeated 14 times with noise
    (the cache holds only verified downloads; these files stand in for them in a home of the test's own)."""
    import numpy as np

    from aelab.data.download import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS
    from aelab.data.idx import write_idx
    from aelab.data.sources import load_dataset

    data = load_dataset("mnist-5k")
    x = (np.concatenate([data.x_train[:, 0].numpy(), data.x_test[:, 0].numpy()]) * 255).round()
    y = np.concatenate([data.y_train.numpy(), data.y_test.numpy()]).astype(np.uint8)
    rng = np.random.default_rng(0)
    x = np.clip(np.tile(x, (14, 1, 1)) + rng.integers(-24, 25, size=(70_000, 28, 28)), 0, 255).astype(np.uint8)
    y = np.tile(y, 14)
    folder.mkdir(parents=True)
    for name, array in ((TRAIN_IMAGES, x[:60_000]), (TRAIN_LABELS, y[:60_000]), (TEST_IMAGES, x[60_000:]),
                        (TEST_LABELS, y[60_000:])):
        write_idx(folder / name, array)
