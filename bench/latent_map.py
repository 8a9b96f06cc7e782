"""The Latent page's WebGL map in headless Chromium (software WebGL: SwiftShader) against the Plotly map it replaces.

Usage: .venv/bin/python -m bench.latent_map [--model pretrained/vae] [--moves 60] [--rounds 2]

Starts its own Streamlit server (its own empty library) and, on the model's PCA map of the bundled set's 1,000 test
images, in each round:
- page open (navigation start) to the map drawn: the WebGL map (its surface's data-points set, after the points were
  drawn) against the Plotly map (a page whose frames get no WebGL context, so the page draws its Plotly fallback:
  the .js-plotly-plot element with its 1,000 points), each in a fresh browser context;
- hover to decoded image on the WebGL map: the mouse moved --moves times, 25 ms apart (a 40 Hz pointer), across the
  map; each latency measured in the frame, from the pointer event's timeStamp to the return of putImageData
  (frontend/live.js), median and p95 (goal: median <= 16 ms, p95 <= 33 ms).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.app_server import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, running_app
from tests.e2e.conftest import NO_WEBGL_JS
from tests.e2e.live import MAP_SURFACE, map_frame

SINCE_NAVIGATION = "() => performance.now()"  # ms since this page's navigation start


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def open_webgl(browser, url: str) -> tuple[float, object, object]:
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.goto(url)
    frame = map_frame(page, timeout=120_000)
    return page.evaluate(SINCE_NAVIGATION) / 1000, page, frame


def open_plotly(browser, url: str) -> float:
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(NO_WEBGL_JS)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => { const gd = document.querySelector('.st-key-scatter .js-plotly-plot');"
                           " return gd && gd._fullData && gd._fullData.reduce((n, t) => n + t.x.length, 0) >= 1000; }",
                           timeout=120_000)
    seconds = page.evaluate(SINCE_NAVIGATION) / 1000
    context.close()
    return seconds


def hover_latencies(page, frame, moves: int) -> list[float]:
    box = frame.locator(MAP_SURFACE).bounding_box()
    before = frame.evaluate("() => window.aelabLive.latencies.length")
    for k in range(moves):
        page.mouse.move(box["x"] + box["width"] * (0.05 + 0.9 * k / moves),
                        box["y"] + box["height"] * (0.2 + 0.6 * k / moves))
        page.wait_for_timeout(25)
    frame.wait_for_function("() => window.aelabLive.drawnSeq === window.aelabLive.inputSeq", timeout=30_000)
    return frame.evaluate(f"() => window.aelabLive.latencies.slice({before})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="pretrained/vae")
    parser.add_argument("--moves", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with running_app(Path(tempfile.mkdtemp())) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        url = f"{base}/latent?model={args.model.replace('/', '%2F')}"
        open_plotly(browser, url)  # the server's first visit (torch, the model, its codes) is no map's cost
        webgl_open, plotly_open, latencies = [], [], []
        for _ in range(args.rounds):
            plotly_open.append(open_plotly(browser, url))
            seconds, page, frame = open_webgl(browser, url)
            webgl_open.append(seconds)
            renderer = frame.evaluate("() => { const gl = document.createElement('canvas').getContext('webgl');"
                                      " const d = gl.getExtension('WEBGL_debug_renderer_info');"
                                      " return d ? gl.getParameter(d.UNMASKED_RENDERER_WEBGL) : 'unknown'; }")
            latencies += hover_latencies(page, frame, args.moves)
            page.context.close()
        browser.close()
    print(f"WebGL renderer: {renderer}")
    webgl, plotly = statistics.median(webgl_open), statistics.median(plotly_open)
    print(f"page open to map drawn, median of {args.rounds}: WebGL map {webgl:.2f} s, Plotly map {plotly:.2f} s "
          f"(ratio {webgl / plotly:.2f})")
    print(f"hover to decoded image ({len(latencies)} frames): median {statistics.median(latencies):.1f} ms, "
          f"p95 {percentile(latencies, 0.95):.1f} ms")


if __name__ == "__main__":
    main()
