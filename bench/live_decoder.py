"""The live decoder in headless Chromium against today's server path, on the Traverse page.

Usage: .venv/bin/python -m bench.live_decoder [--models pretrained/ae,pretrained/conv_ae] [--moves 120]
       [--presses 30] [--baseline REF --rounds 3]

Starts its own Streamlit server (its own empty library, no UMAP warm-up) and, for each model:
- the first live frame (decoded in the page, not a picture from the server), from the page settled (connected, no
  script running, no running indicator, the live decoder's frame in the page: what the reader sees before touching
  a slider) and from the page's navigation start: cold (a new browser context: no runtime compiled, nothing in
  IndexedDB, so the page asks the server for the model), warm (the same context reloaded: the browser opened the
  page before) and after a page change (from Traverse to Interpolate in the sidebar: the session and the tab kept).
  Goal: warm <= 0.3 s and cold <= 1.0 s from settled. Also when the first picture of any kind came (the server
  answers until the page decodes). With --baseline REF (e.g. 0cb72ad), the same first-frame measures of the app as
  it was at git commit REF (exported with git archive into a temporary folder, served side by side), alternating
  with this tree's in each of --rounds rounds: before and after in one run;
- pointer event to the end of the canvas draw (this tree only): the top slider dragged with --moves mouse moves
  25 ms apart (a 40 Hz pointer), each latency measured in the frame from the pointer event's timeStamp to the return of
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
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.slider_latency import WATCH_JS, percentile, sweep
from bench.startup import _start, _stop, _wait_health, export_tree
from tests.app_server import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, wait_idle
from tests.e2e.live import live_frame, wait_drawn

REPO = Path(__file__).resolve().parents[1]

DECODED = ".st-key-traverse_decoded"
SCRUB = ".st-key-interpolate_live_scrub_box"  # the live decoder opened by a page change (Interpolate's scrub)
VENDOR = REPO / "ui" / "components" / "live_decoder" / "frontend" / "vendor"
NO_WASM = "delete window.WebAssembly;"  # runs in every frame before the page's scripts

# In the top page (init scripts run in every frame): records in window.__aelabSettledEpoch when the page first stood
# settled with the live decoder's frame (selector + " iframe") in it; run at each load, and again before a page change.
SETTLED_WATCH_JS = """(() => {
  if (window !== window.top) return;
  window.__aelabWatchSettled = (selector) => {
    window.__aelabSettledEpoch = undefined;
    const check = () => {
      const app = document.querySelector('[data-testid="stApp"]');
      const busy = !app || app.getAttribute('data-test-connection-state') !== 'CONNECTED'
        || app.getAttribute('data-test-script-state') !== 'notRunning'
        || document.querySelector('[data-testid="stStatusWidget"]')
        || !document.querySelector(selector + ' iframe');
      if (busy) { setTimeout(check, 10); return; }
      window.__aelabSettledEpoch = performance.timeOrigin + performance.now();
    };
    check();
  };
  window.__aelabWatchSettled(%s);
})();"""
NOW_JS = "() => performance.timeOrigin + performance.now()"


def open_traverse(page, base: str, model: str):
    page.goto(f"{base}/traverse?data=mnist-5k&model={model}")
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=120_000)


def first_frame(page, container: str, started: float | None = None) -> dict:
    """ms to the live decoder's first frame decoded in the page: from the page settled ("settled": negative when the
    frame came first), and from `started` (epoch ms; default the page's navigation start); "picture": from settled to
    its first picture of any kind (the server's, before the page decodes; this tree only)."""
    frame = live_frame(page, container, timeout=120_000)
    page.wait_for_function("() => window.__aelabSettledEpoch !== undefined", timeout=120_000)
    settled, origin = page.evaluate("() => [window.__aelabSettledEpoch, performance.timeOrigin]")
    first, server, cache = frame.evaluate(
        "() => [aelabLive.firstFrameEpoch, aelabLive.firstServerFrameEpoch ?? null, aelabLive.cache]")
    return {"settled": first - settled, "opened": first - (started or origin), "cache": cache,
            "picture": (min(first, server) if server else first) - settled}


def first_frames(browser, base: str, model: str) -> dict[str, dict]:
    """cold (a new context), warm (reloaded) and page change (Traverse -> Interpolate in the sidebar) first frames."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(SETTLED_WATCH_JS % json.dumps(DECODED))
    page = context.new_page()
    try:
        open_traverse(page, base, model)
        result = {"cold": first_frame(page, DECODED)}
        wait_idle(page)
        page.reload()
        page.wait_for_selector('[data-testid="stSidebar"]', timeout=120_000)
        result["warm"] = first_frame(page, DECODED)
        wait_idle(page)
        page.evaluate(f"window.__aelabWatchSettled({json.dumps(SCRUB)})")
        clicked = page.evaluate(NOW_JS)
        page.locator('[data-testid="stSidebarNav"] a[href$="/interpolate"]').click()
        result["page change"] = first_frame(page, SCRUB, clicked)
        return result
    finally:
        context.close()


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


def measure_drags(browser, base: str, model: str, moves: int) -> dict:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    open_traverse(page, base, model)
    frame = live_frame(page, DECODED, timeout=120_000)
    wait_idle(page)
    latencies, _, _ = drag(page, frame, moves, pause_ms=25)
    wait_idle(page)
    _, seconds, frames = drag(page, frame, moves, pause_ms=0)
    context.close()
    return {"latencies": latencies, "fps": frames / seconds, "moves_per_s": moves / seconds}


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


def vendored_size(vendor: Path = VENDOR) -> str:
    manifest = json.loads((vendor / "manifest.json").read_text())
    total = sum(f["bytes"] for f in manifest["files"].values())
    files = ", ".join(f"{name} {f['bytes'] / 1e6:.2f} MB" for name, f in manifest["files"].items())
    return f"onnxruntime-web {manifest['version']}: {total / 1e6:.2f} MB ({files})"


@contextmanager
def served(tree: Path, home: Path) -> Iterator[str]:
    """`streamlit run app.py` of tree, with its own empty library under home and no UMAP warm-up; yields its URL."""
    (home / "models").mkdir(parents=True)
    proc, base = _start(tree / "app.py", tree, home, "0")
    try:
        _wait_health(base, proc)
        yield base
    finally:
        _stop(proc)


def compare_first_frames(browser, servers: dict[str, str], models: list[str], rounds: int) -> None:
    """Each tree's first frames, the trees alternating within each round; medians, and before / after."""
    rows: dict[tuple[str, str, str], list[dict]] = {}
    for round_ in range(rounds):
        for name, base in servers.items():
            for model in models:
                for kind, result in first_frames(browser, base, model).items():
                    rows.setdefault((model, kind, name), []).append(result)
        print(f"round {round_ + 1} of {rounds} done, load average {os.getloadavg()[0]:.1f}", flush=True)
    names = list(servers)
    for model in models:
        print(f"\n{model}: first frame decoded in the page, ms (median of {rounds}; from the page settled / from "
              "opening the page or clicking its link; first picture of any kind from settled)")
        for kind in ("cold", "warm", "page change"):
            medians = {}
            for name in names:
                runs = rows[(model, kind, name)]
                medians[name] = {k: statistics.median(r[k] for r in runs) for k in ("settled", "opened", "picture")}
                each = ", ".join(f"{r['settled']:.0f}" for r in runs)
                print(f"  {kind:12s} {name:22s} {medians[name]['settled']:7.0f} / {medians[name]['opened']:6.0f}"
                      f"   picture {medians[name]['picture']:6.0f}   [{each}]  cache {runs[-1]['cache']}")
            if len(names) == 2:
                before, after = (medians[n]["opened"] for n in names)
                print(f"  {kind:12s} before / after (from opening): {before / max(after, 1.0):.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="pretrained/ae,pretrained/conv_ae")
    parser.add_argument("--moves", type=int, default=120, help="mouse moves per drag")
    parser.add_argument("--presses", type=int, default=30, help="key presses for the server baseline")
    parser.add_argument("--baseline", default="", help="git commit whose app's first frames are measured beside")
    parser.add_argument("--rounds", type=int, default=1, help="first-frame rounds (the median is reported)")
    parser.add_argument("--first-frames-only", action="store_true", help="skip the drags and the server baseline")
    args = parser.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; vendored {vendored_size()}")
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack, sync_playwright() as playwright:
        folder = Path(folder)
        trees = {f"before ({args.baseline})": export_tree(args.baseline, folder)} if args.baseline else {}
        trees["after (this tree)"] = REPO
        servers = {name: stack.enter_context(served(tree, folder / f"home{i}")) for i, (name, tree) in
                   enumerate(trees.items())}
        base = servers["after (this tree)"]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        if not args.first_frames_only:
            baseline = server_baseline(browser, base, models[0], args.presses)  # also loads the models on the server
            for model in models[1:]:
                server_baseline(browser, base, model, 1)
            base_median = statistics.median(baseline)
            print(f"server path (baseline, {models[0]}): key press -> new image  n={len(baseline)}  "
                  f"median {base_median:.1f} ms  p95 {percentile(baseline, 0.95):.1f} ms")
            for model in models:
                result = measure_drags(browser, base, model, args.moves)
                lat = result["latencies"]
                median = statistics.median(lat)
                print(f"\n{model}, live in the browser:")
                print(f"  pointer event -> canvas drawn   n={len(lat)}  median {median:.2f} ms  "
                      f"p95 {percentile(lat, 0.95):.2f} ms  max {max(lat):.2f} ms   baseline/live = "
                      f"{base_median / median:.0f}x")
                print(f"  frames drawn during a drag      {result['fps']:.0f} frames/s "
                      f"({result['moves_per_s']:.0f} mouse moves/s sent)")
        compare_first_frames(browser, servers, models, args.rounds)
        browser.close()


if __name__ == "__main__":
    main()
