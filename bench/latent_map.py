"""The Latent page's WebGL map in headless Chromium (software WebGL: SwiftShader) against the Plotly map it replaced.

Usage: .venv/bin/python -m bench.latent_map [--model pretrained/ae] [--sizes 1000,5000,70000] [--rounds 2]
       [--moves 60] [--hover-baseline REF [--hover-only]]

Starts its own Streamlit server whose data folder holds a 70,000-image "mnist" (the bundled 5,000 repeated with
noise, tests/e2e/live.py write_big_mnist: nothing is downloaded), and measures on the model's PCA map:
- page open (navigation start) to the map drawn, for each size (1,000: the bundled test images; 5,000: the bundled
  test and training images; 70,000: the big set's), each in a fresh browser context after one warm-up visit (so the
  server's encoding is no map's cost), against today's baseline, the Plotly map of the bundled 1,000 test images
  (a page whose frames get no WebGL context, so the page draws its Plotly fallback), in the same run;
- pan and zoom frame times on the WebGL map: a scripted drag (--moves pointer moves) and 20 wheel steps, every
  requestAnimationFrame interval recorded in the map's frame; reported for the frames that handled an input (median
  and p95; the goal is p95 <= 33 ms at 70,000 points) and for all frames;
- hover to decoded image: --moves pointer moves 25 ms apart across the map; each latency measured in the frame, from
  the pointer event's timeStamp to the return of putImageData (frontend/live.js), median and p95 (goal: median
  <= 16 ms, p95 <= 33 ms);
- a lasso around most of the 5,000-point map to the server's panels drawn ("points selected" shown, the page
  settled);
- the map frame's JS heap (performance.memory after a forced GC) with the 70,000 thumbnails in it and images drawn
  as marks (zoomed in).
With --hover-baseline REF (e.g. 7d829ab, before the map found the hovered point itself), the app at that commit is
served beside this one and its hover latencies are measured in the same run, rounds interleaved, with the ratio
(REF median / this tree's); --hover-only measures nothing else.
bench/map_libraries.py measures the scatter libraries themselves (regl-scatterplot, deck.gl, Plotly scattergl) on
the same synthetic points, outside the app.
"""
from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.app_server import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, running_app, wait_idle
from tests.e2e.conftest import NO_WEBGL_JS
from tests.e2e.live import MAP_SURFACE, lasso_map, map_frame, write_big_mnist

SINCE_NAVIGATION = "() => performance.now()"  # ms since this page's navigation start
QUERIES = {1000: "", 5000: "&split=all&points=5000", 70000: "&data=mnist&split=all&points=70000"}
# every requestAnimationFrame interval, and whether an input event came in since the frame before
FRAME_PROBE = """() => { const w = window; w.__frames = []; w.__input = false; let last = performance.now();
  for (const type of ['pointermove', 'wheel', 'pointerdown', 'pointerup'])
    w.addEventListener(type, () => { w.__input = true; }, true);
  const tick = (t) => { w.__frames.push([t - last, w.__input]); w.__input = false; last = t;
    if (!w.__stop) requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def open_webgl(browser, url: str, timeout: float = 300_000):
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.goto(url)
    frame = map_frame(page, timeout=timeout)
    return page.evaluate(SINCE_NAVIGATION) / 1000, page, frame


def open_plotly(browser, url: str, points: int = 1000) -> float:
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(NO_WEBGL_JS)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("(n) => { const gd = document.querySelector('.st-key-scatter .js-plotly-plot');"
                           " return gd && gd._fullData && gd._fullData.reduce((s, t) => s + t.x.length, 0) >= n; }",
                           arg=points, timeout=300_000)
    seconds = page.evaluate(SINCE_NAVIGATION) / 1000
    context.close()
    return seconds


def pan_zoom_frames(page, frame, moves: int) -> list[tuple[float, bool]]:
    """Frame intervals (ms, handled an input?) during a drag across a third of the map and 20 wheel steps."""
    frame.evaluate(FRAME_PROBE)
    box = frame.locator(MAP_SURFACE).bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.5
    page.mouse.move(x0, y0)
    page.mouse.down()
    for k in range(1, moves + 1):
        page.mouse.move(x0 + box["width"] * 0.33 * k / moves, y0 + box["height"] * 0.1 * math.sin(k / 6))
    page.mouse.up()
    for _ in range(20):
        page.mouse.wheel(0, -120)
        page.wait_for_timeout(30)
    page.wait_for_timeout(300)
    return frame.evaluate("() => { window.__stop = true; return window.__frames; }")


def hover_latencies(page, frame, moves: int) -> list[float]:
    box = frame.locator(MAP_SURFACE).bounding_box()
    before = frame.evaluate("() => window.aelabLive.latencies.length")
    for k in range(moves):
        page.mouse.move(box["x"] + box["width"] * (0.05 + 0.9 * k / moves),
                        box["y"] + box["height"] * (0.2 + 0.6 * k / moves))
        page.wait_for_timeout(25)
    frame.wait_for_function("() => window.aelabLive.drawnSeq === window.aelabLive.inputSeq", timeout=60_000)
    return frame.evaluate(f"() => window.aelabLive.latencies.slice({before})")


def lasso_to_panels(page, frame) -> tuple[float, int]:
    """A lasso around the whole map, from the mouse let go to the page's panels drawn: (seconds, points)."""
    lasso_map(page, frame, radius=0.45, moves=40)  # (lasso_map lets go at its end; at 0.49 a move left the map)
    start = time.perf_counter()
    summary = page.locator("p", has_text="points selected").first
    summary.wait_for(timeout=300_000)
    wait_idle(page)
    return time.perf_counter() - start, int(summary.inner_text().split()[0])


def heap_with_thumbnails(page, frame) -> tuple[float, int]:
    """(MB of the map frame's JS heap after a GC, images drawn as marks) once the thumbnails came and the map is
    zoomed in until they are drawn."""
    frame.wait_for_function("() => Object.keys(window.aelabLive.blobFrom ?? {}).length > 0", timeout=300_000)
    box = frame.locator(MAP_SURFACE).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    thumbs = "Number(document.querySelector(\"[data-testid='map-thumbnails']\").dataset.drawn)"
    for _ in range(60):
        if frame.evaluate(f"() => {thumbs}") > 0:
            break
        page.mouse.wheel(0, -240)
        page.wait_for_timeout(60)
    frame.evaluate("() => window.gc && window.gc()")
    return frame.evaluate("() => performance.memory.usedJSHeapSize") / 2**20, frame.evaluate(f"() => {thumbs}")


def hover_against(browser, bases: dict[str, str], model: str, sizes: list[int], rounds: int, moves: int) -> None:
    """Hover to decoded image on each app of bases ({name: base URL}), rounds interleaved, per size; prints medians,
    p95s and each other app's median over the first's."""
    for size in sizes:
        latencies: dict[str, list[float]] = {name: [] for name in bases}
        for base in bases.values():  # warm-up: each server encodes the images once
            _, page, _ = open_webgl(browser, f"{base}/latent?{model}{QUERIES[size]}", timeout=600_000)
            page.context.close()
        for _ in range(rounds):
            for name, base in bases.items():
                _, page, frame = open_webgl(browser, f"{base}/latent?{model}{QUERIES[size]}")
                latencies[name] += hover_latencies(page, frame, moves)
                page.context.close()
        medians = {name: statistics.median(values) for name, values in latencies.items()}
        first = next(iter(bases))
        for name, values in latencies.items():
            ratio = "" if name == first else f"  ({name} / {first} median: {medians[name] / medians[first]:.2f}x)"
            print(f"{size:>6,} points, {name}: hover to decoded image median {medians[name]:.1f} ms, p95 "
                  f"{percentile(values, 0.95):.1f} ms ({len(values)} frames){ratio}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="pretrained/ae")
    parser.add_argument("--sizes", default="1000,5000,70000")
    parser.add_argument("--moves", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--hover-baseline", default="", help="git commit whose hover latencies are measured beside")
    parser.add_argument("--hover-only", action="store_true", help="with --hover-baseline: measure nothing else")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    home = Path(tempfile.mkdtemp())
    if 70000 in sizes:
        write_big_mnist(home / "data" / "mnist")
    if args.hover_baseline:
        from bench.startup import export_tree

        tree = export_tree(args.hover_baseline, home)
        model = f"model={args.model.replace('/', '%2F')}"
        with running_app(home) as base, running_app(home, repo=tree, log_name="baseline.log") as before, \
                sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            hover_against(browser, {"this tree": base, f"before ({args.hover_baseline})": before}, model, sizes,
                          args.rounds, args.moves)
            browser.close()
        if args.hover_only:
            return
    results: dict[int, dict] = {}
    launch = [*CHROMIUM_ARGS, "--enable-precise-memory-info", "--js-flags=--expose-gc"]
    with running_app(home) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=launch)
        model = f"model={args.model.replace('/', '%2F')}"
        baseline_url = f"{base}/latent?{model}"
        open_plotly(browser, baseline_url)  # the server's first visit (torch, the model, its codes)
        plotly = [open_plotly(browser, baseline_url) for _ in range(args.rounds)]
        renderer = "unknown"
        for size in sizes:
            url = f"{base}/latent?{model}{QUERIES[size]}"
            _, page, frame = open_webgl(browser, url, timeout=600_000)  # warm-up: the server encodes the images
            page.context.close()
            opens, frames, latencies, extra = [], [], [], {}
            for _ in range(args.rounds):
                seconds, page, frame = open_webgl(browser, url)
                opens.append(seconds)
                renderer = frame.evaluate("() => { const gl = document.createElement('canvas').getContext('webgl');"
                                          " const d = gl.getExtension('WEBGL_debug_renderer_info');"
                                          " return d ? gl.getParameter(d.UNMASKED_RENDERER_WEBGL) : 'unknown'; }")
                latencies += hover_latencies(page, frame, args.moves)
                frames += pan_zoom_frames(page, frame, args.moves)
                page.context.close()
            if size == 5000:
                _, page, frame = open_webgl(browser, url)
                extra["lasso"] = lasso_to_panels(page, frame)
                page.context.close()
            if size == max(sizes):
                _, page, frame = open_webgl(browser, url)
                extra["heap"] = heap_with_thumbnails(page, frame)
                page.context.close()
            results[size] = {"open": statistics.median(opens), "frames": frames, "hover": latencies, **extra}
        browser.close()
    base_open = statistics.median(plotly)
    print(f"WebGL renderer: {renderer}")
    print(f"baseline: the Plotly map of 1,000 points, page open to drawn, median of {args.rounds}: {base_open:.2f} s")
    for size, r in results.items():
        inputs = [ms for ms, handled in r["frames"] if handled]
        every = [ms for ms, _ in r["frames"]]
        print(f"{size:>6,} points: page open to map drawn {r['open']:.2f} s ({r['open'] / base_open:.2f}x the Plotly "
              f"map of 1,000); pan/zoom frames with an input: median {statistics.median(inputs):.1f} ms, p95 "
              f"{percentile(inputs, 0.95):.1f} ms ({len(inputs)} frames; all frames p95 {percentile(every, 0.95):.1f} "
              f"ms); hover to decoded image: median {statistics.median(r['hover']):.1f} ms, p95 "
              f"{percentile(r['hover'], 0.95):.1f} ms ({len(r['hover'])} frames)")
        if "lasso" in r:
            print(f"        lasso of {r['lasso'][1]:,} points to the server's panels drawn: {r['lasso'][0]:.2f} s")
        if "heap" in r:
            print(f"        map frame's JS heap with {size:,} thumbnails, {r['heap'][1]:,} drawn as marks: "
                  f"{r['heap'][0]:.1f} MB")


if __name__ == "__main__":
    main()
