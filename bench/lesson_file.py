"""Lesson files: their size per page, the time from opening one to its first decoded frame, and pointer-to-canvas
latency against the app's live decoder, in headless Chromium.

Usage: .venv/bin/python -m bench.lesson_file [--models vae,conv_ae] [--opens 5] [--moves 120] [--rounds 3]

- Size of each page's lesson file (its default view) for each model, before the size work (compress=False: every
  embedded file base64 as it is) and after (gzip -9, inflated in the page with DecompressionStream), and the
  largest parts of a compressed Traverse file.
- First frame: from the page's navigation start to its first decoded frame (aelabLive.firstFrameEpoch) and to
  data-ready (every view drawn), opened from file:// in an offline context; cold = a new browser context each time
  (nothing compiled), warm = the same context reloaded; median of --opens. For Traverse, compressed and not.
- Pointer to canvas: Traverse's top slider dragged with --moves mouse moves 25 ms apart, each latency from the
  pointer event's timeStamp to the end of the canvas draw (the same measure as bench/live_decoder.py), median and
  p95, in the lesson and, as the baseline in the same run, in the app's live decoder (its own Streamlit server),
  in alternating rounds. Ratio: lesson median / app median. Also the browser's share: each pointer event's timeStamp
  to its first listener in the page (Chromium's input scheduling, before any decoding).
"""
from __future__ import annotations

import argparse
import base64
import os
import re
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from aelab.data.sources import load_dataset
from aelab.export.lesson import PAGES, build_lesson
from aelab.library.store import load_model
from aelab.resources import pretrained_root
from bench.live_decoder import DECODED, drag, open_traverse
from bench.slider_latency import percentile
from tests.app_server import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, running_app, wait_idle
from tests.e2e.live import READY, live_frame, offline_page

TIMES_JS = "() => [performance.timeOrigin, window.aelabLive.firstFrameEpoch, window.aelabLive.readyEpoch]"
# How long the browser took to hand each pointer event to the page (its timeStamp to its first listener): the part of
# a latency that is Chromium's input scheduling, not the page's decoding and drawing.
DISPATCH_JS = """() => { window.__dispatch = [];
  window.addEventListener('pointermove', (e) => window.__dispatch.push(performance.now() - e.timeStamp), true); }"""


def build_all(models: list[str], folder: Path) -> dict[tuple[str, str, bool], Path]:
    """(model, page, compressed) -> the lesson file written for it (each page's default view)."""
    dataset, files = load_dataset("mnist-5k"), {}
    for name in models:
        record = load_model(pretrained_root() / name, pretrained=True)
        for page, view in PAGES.items():
            if page == "generate" and not record.model_config.variational:
                continue  # Generate's lesson is a VAE's
            for compress in (False, True):
                path = folder / f"{name}-{page}-{'gz' if compress else 'raw'}.html"
                path.write_bytes(build_lesson(page, view(), record, dataset, model_key=f"pretrained/{name}",
                                              compress=compress))
                files[name, page, compress] = path
    return files


def parts(path: Path) -> str:
    """The largest embedded parts of a lesson file: MB in the file (base64) and MB of what they hold."""
    found = re.findall(r'<script type="application/octet-stream" id="([\w-]+)"[^>]*>([^<]*)</script>',
                       path.read_text())
    found.sort(key=lambda part: -len(part[1]))
    return ", ".join(f"{name} {len(body) / 1e6:.2f} MB ({len(base64.b64decode(body)) / 1e6:.2f} MB held)"
                     for name, body in found[:3])


def first_frames(browser, path: Path, opens: int) -> dict[str, list[float]]:
    """ms from navigation start to the first frame and to data-ready, cold (new context) and warm (reloaded)."""
    result = {"cold first": [], "cold ready": [], "warm first": [], "warm ready": []}
    for _ in range(opens):
        with offline_page(browser, path.as_uri()) as (page, _):
            for kind in ("cold", "warm"):
                if kind == "warm":
                    page.reload()
                page.wait_for_selector(READY, timeout=120_000)
                origin, first, ready = page.evaluate(TIMES_JS)
                result[f"{kind} first"].append(first - origin)
                result[f"{kind} ready"].append(ready - origin)
    return result


def pointer_latencies(browser, base: str, model: str, lesson: Path, moves: int, rounds: int) -> dict[str, list]:
    """Latencies of the app's live decoder and of the lesson file, measured in alternating rounds (so a change in
    the machine's load weighs on both alike)."""
    result = {"app": [], "lesson": [], "app dispatch": [], "lesson dispatch": []}
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    open_traverse(page, base, f"pretrained/{model}")
    frame = live_frame(page, DECODED, timeout=120_000)
    wait_idle(page)
    for _ in range(rounds):
        frame.evaluate(DISPATCH_JS)
        latencies, _, _ = drag(page, frame, moves, pause_ms=25)
        page.mouse.up()
        result["app"] += latencies
        result["app dispatch"] += frame.evaluate("() => window.__dispatch")
        wait_idle(page)
        with offline_page(browser, lesson.as_uri()) as (offline, _):
            offline.wait_for_selector(READY, timeout=120_000)
            offline.evaluate(DISPATCH_JS)
            latencies, _, _ = drag(offline, offline, moves, pause_ms=25)
            result["lesson"] += latencies
            result["lesson dispatch"] += offline.evaluate("() => window.__dispatch")
    context.close()
    return result


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):.1f} ms, p95 {percentile(values, 0.95):.1f} ms (n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="vae,conv_ae")
    parser.add_argument("--opens", type=int, default=5, help="openings per first-frame measure (median)")
    parser.add_argument("--moves", type=int, default=120, help="mouse moves per drag")
    parser.add_argument("--rounds", type=int, default=3, help="alternating app / lesson drags per model")
    args = parser.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        files = build_all(models, Path(folder))
        print("\nFile size (MB), before the size work (raw base64) -> after (gzip -9):")
        for name in models:
            for page in PAGES:
                if (name, page, True) in files:
                    raw, small = (files[name, page, c].stat().st_size / 1e6 for c in (False, True))
                    print(f"  {name:8} {page:12} {raw:6.2f} -> {small:5.2f}  ({small / raw:.0%})")
        print(f"  parts of vae's Traverse file: {parts(files[models[0], 'traverse', True])}")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print(f"\nOpening to the first decoded frame (file://, offline), median of {args.opens}:")
        for name in models:
            for compress in (True, False):
                times = first_frames(browser, files[name, "traverse", compress], args.opens)
                said = ", ".join(f"{k} {statistics.median(v):.0f} ms" for k, v in times.items())
                print(f"  {name:8} traverse {'gzip' if compress else 'raw '}: {said}")
        print(f"\nPointer event -> canvas drawn, Traverse's top slider, 25 ms between moves, {args.rounds} "
              "alternating rounds:")
        with tempfile.TemporaryDirectory() as home, running_app(Path(home)) as base:
            for name in models:
                measured = pointer_latencies(browser, base, name, files[name, "traverse", True], args.moves,
                                             args.rounds)
                ratio = statistics.median(measured["lesson"]) / statistics.median(measured["app"])
                for who, label in (("app", "app's live decoder (baseline)"), ("lesson", "lesson file")):
                    print(f"  {name:8} {label:30} {summary(measured[who])}; of which the browser's dispatch "
                          f"median {statistics.median(measured[who + ' dispatch']):.1f} ms")
                print(f"  {name:8} lesson/app = {ratio:.2f}")
        browser.close()


if __name__ == "__main__":
    main()
