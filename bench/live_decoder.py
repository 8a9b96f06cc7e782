"""The live decoder in headless Chromium against today's server path, on the Traverse page.

Usage: .venv/bin/python -m bench.live_decoder [--models pretrained/ae,pretrained/conv_ae] [--moves 120]
       [--presses 30]

Starts its own Streamlit server (its own empty library, no UMAP warm-up) and, for each model:
- time to the first decoded frame after the page opens: cold (a new browser profile: no runtime compiled, nothing
  in IndexedDB, so the page asks the server for the model) and warm (the same profile reloaded: the model comes
  from IndexedDB). Both from the page's navigation start, and from the component frame's own start (runtime + model
  only, without the app's Python run);
- pointer event to the end of the canvas draw: the top slider dragged with --moves mouse moves 25 ms apart (a
  40 Hz pointer), each latency measured in the frame from the pointer event's timeStamp to the return of
  putImageData (frontend/live.js), median and p95 (goal: median <= 16 ms, one frame at 60 Hz);
- frames drawn per second during a drag: mouse moves sent as fast as Playwright can, frames counted in the frame.
Baseline in the same run: the server path (a profile whose pages have no WebAssembly object, so the component falls
back; JIT kept on, unlike --jitless), key press on the top Streamlit slider to the new image loaded, as measured by
bench/slider_latency.py. Ratios: baseline median / live median. Also prints the vendored runtime's size.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.slider_latency import WATCH_JS, percentile, sweep
from tests.app_server import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, running_app, wait_idle
from tests.e2e.live import live_frame, wait_drawn

REPO = Path(__file__).resolve().parents[1]

DECODED = ".st-key-traverse_decoded"
VENDOR = REPO / "ui" / "components" / "live_decoder" / "frontend" / "vendor"
NO_WASM = "delete window.WebAssembly;"  # runs in every frame before the page's scripts


def open_traverse(page, base: str, model: str):
    page.goto(f"{base}/traverse?data=mnist-5k&model={model}")
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=120_000)


def first_frame(page) -> dict[str, float]:
    """ms from the page's navigation start and from the component frame's start to its first decoded frame."""
    frame = live_frame(page, DECODED, timeout=120_000)
    page_origin = page.evaluate("performance.timeOrigin")
    first, frame_origin, cache = frame.evaluate(
        "() => [window.aelabLive.firstFrameEpoch, performance.timeOrigin, window.aelabLive.cache]")
    return {"page": first - page_origin, "component": first - frame_origin, "cache": cache}


def drag(page, frame, moves: int, pause_ms: float) -> tuple[list[float], float, int]:
    """Drag the top slider from 10% to 90% and back `moves` times in all; returns (latencies in ms, seconds, frames)."""
    box = frame.locator(".rank-0 input[type=range]").bounding_box()
    y, left, width = box["y"] + box["height"] / 2, box["x"] + 0.1 * box["width"], 0.8 * box["width"]
    page.mouse.move(left, y)
    page.mouse.down()
    wait_drawn(frame)
    frame.evaluate("() => { window.aelabLive.latencies = []; window.__f0 = window.aelabLive.frames; }")
    start = time.perf_counter()
    for k in range(1, moves + 1):
        phase = (k % 60) / 30  # 0..2: out and back
        page.mouse.move(left + width * (phase if phase <= 1 else 2 - phase), y)
        if pause_ms:
            page.wait_for_timeout(pause_ms)
    wait_drawn(frame)
    seconds = time.perf_counter() - start
    page.mouse.up()
    latencies, frames = frame.evaluate("() => [window.aelabLive.latencies, window.aelabLive.frames - window.__f0]")
    return latencies, seconds, frames


def measure_model(browser, base: str, model: str, moves: int) -> dict:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    open_traverse(page, base, model)
    cold = first_frame(page)
    wait_idle(page)
    page.reload()
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=120_000)
    warm = first_frame(page)
    wait_idle(page)
    frame = live_frame(page, DECODED)
    latencies, _, _ = drag(page, frame, moves, pause_ms=25)
    wait_idle(page)
    _, seconds, frames = drag(page, frame, moves, pause_ms=0)
    context.close()
    return {"cold": cold, "warm": warm, "latencies": latencies, "fps": frames / seconds, "moves_per_s": moves / seconds}


def server_baseline(browser, base: str, model: str, presses: int) -> list[float]:
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(NO_WASM)
    page = context.new_page()
    open_traverse(page, base, model)
    page.get_by_text("Live decoding is off").wait_for(timeout=120_000)
    wait_idle(page)
    page.evaluate(WATCH_JS, [DECODED, "Rows, top to bottom"])
    thumb = page.locator('[class*="st-key-traverse_z"]').first.get_by_role("slider")
    sweep(page, thumb, 5, "decoded", 0.2)  # warm-up
    latencies = sweep(page, thumb, presses, "decoded", 0.25)
    context.close()
    return latencies


def vendored_size() -> str:
    manifest = json.loads((VENDOR / "manifest.json").read_text())
    total = sum(f["bytes"] for f in manifest["files"].values())
    files = ", ".join(f"{name} {f['bytes'] / 1e6:.2f} MB" for name, f in manifest["files"].items())
    return f"onnxruntime-web {manifest['version']}: {total / 1e6:.2f} MB ({files})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="pretrained/ae,pretrained/conv_ae")
    parser.add_argument("--moves", type=int, default=120, help="mouse moves per drag")
    parser.add_argument("--presses", type=int, default=30, help="key presses for the server baseline")
    args = parser.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; vendored {vendored_size()}")
    with tempfile.TemporaryDirectory() as folder, running_app(Path(folder)) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        baseline = server_baseline(browser, base, models[0], args.presses)  # also loads the models on the server
        for model in models[1:]:
            server_baseline(browser, base, model, 1)
        base_median = statistics.median(baseline)
        print(f"server path (baseline, {models[0]}): key press -> new image  n={len(baseline)}  "
              f"median {base_median:.1f} ms  p95 {percentile(baseline, 0.95):.1f} ms")
        for model in models:
            result = measure_model(browser, base, model, args.moves)
            lat = result["latencies"]
            median = statistics.median(lat)
            print(f"\n{model}, live in the browser:")
            print(f"  pointer event -> canvas drawn   n={len(lat)}  median {median:.2f} ms  "
                  f"p95 {percentile(lat, 0.95):.2f} ms  max {max(lat):.2f} ms   baseline/live = "
                  f"{base_median / median:.0f}x")
            print(f"  frames drawn during a drag      {result['fps']:.0f} frames/s "
                  f"({result['moves_per_s']:.0f} mouse moves/s sent)")
            for name in ("cold", "warm"):
                r = result[name]
                print(f"  first frame, {name} cache ({r['cache']}): {r['page']:.0f} ms after the page opened, "
                      f"{r['component']:.0f} ms after the component started")
        browser.close()


if __name__ == "__main__":
    main()
