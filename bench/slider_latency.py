"""Slider latency on the Traverse page: time from a key press on a latent slider to the new decoded image, in Chromium.

Usage, from the repository root:
    .venv/bin/python -m bench.slider_latency [--presses 40] [--model pretrained/vae] [--baseline-presses 10]

Starts its own Streamlit server (its own empty model library, the UMAP warm-up off so it does not compete for the
cores), opens /traverse in headless Chromium, focuses the first latent slider, presses Home (the slider's minimum)
and then ArrowRight --presses times, one press at a time. Each latency is measured inside the page with
performance.now(): from the keydown event to the load event of the <img> whose src the rerun changed (a
MutationObserver watches the decoded image's container). Prints the median and the 95th percentile (goal: median
<= 120 ms).

Baseline in the same run: the grid's "Columns" slider, which is outside the fragment and so reruns the whole page
(encodes nothing new either: codes and KL are cached), timed to its new grid image. The ratio shows what the
fragment saves; the decode itself is ~0.1 ms.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.app_server import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, running_app, wait_idle

REPO = Path(__file__).resolve().parents[1]

DECODED = ".st-key-traverse_decoded"
GRID_CAPTION = "Rows, top to bottom"

# window.__lat.keydowns: time of each keydown; window.__lat.shown[name]: times at which the image named `name` had
# loaded a new src. `locate[name]()` finds that image; a MutationObserver on the whole app catches both a changed src
# attribute and a replaced <img> element.
WATCH_JS = """([decoded, gridCaption]) => {
  if (window.__lat) return;
  const lat = window.__lat = {keydowns: [], shown: {decoded: [], grid: []}, last: {}};
  const locate = {
    decoded: () => document.querySelector(decoded + ' img'),
    grid: () => {
      const caption = [...document.querySelectorAll('[data-testid="stImageCaption"]')]
        .find(e => e.innerText.startsWith(gridCaption));
      let node = caption;
      while (node && !node.querySelector('img')) node = node.parentElement;
      return node ? node.querySelector('img') : null;
    },
  };
  const check = () => {
    for (const name of Object.keys(locate)) {
      const img = locate[name]();
      if (!img) continue;
      const src = img.getAttribute('src');
      if (src === lat.last[name]) continue;
      lat.last[name] = src;
      const record = () => lat.shown[name].push(performance.now());
      if (img.complete && img.naturalWidth > 0) record();
      else img.addEventListener('load', record, {once: true});
    }
  };
  new MutationObserver(check).observe(document.body, {subtree: true, childList: true, attributes: true,
                                                      attributeFilter: ['src']});
  document.addEventListener('keydown', () => lat.keydowns.push(performance.now()), true);
  check();
}"""


def press_and_time(page, thumb, key: str, image: str) -> float:
    """Press key on the focused slider thumb; the ms from its keydown to the next new `image` having loaded."""
    seen = page.evaluate(f"window.__lat.shown['{image}'].length")
    thumb.press(key)
    page.wait_for_function(f"window.__lat.shown['{image}'].length > {seen}", timeout=30_000)
    keydown, shown = page.evaluate(f"[window.__lat.keydowns.at(-1), window.__lat.shown['{image}'][{seen}]]")
    return shown - keydown


def sweep(page, thumb, presses: int, image: str, pause_s: float) -> list[float]:
    """Home (to the slider's minimum), then presses x ArrowRight: one latency per ArrowRight."""
    thumb.focus()
    press_and_time(page, thumb, "Home", image)
    wait_idle(page)
    latencies = []
    for _ in range(presses):
        latencies.append(press_and_time(page, thumb, "ArrowRight", image))
        time.sleep(pause_s)
    wait_idle(page)
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(name: str, values: list[float]) -> float:
    median = statistics.median(values)
    print(f"{name:<44} n={len(values):>3}  median {median:6.1f} ms  p95 {percentile(values, 0.95):6.1f} ms  "
          f"min {min(values):6.1f}  max {max(values):6.1f}")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=40, help="ArrowRight presses on the latent slider (<= 99)")
    parser.add_argument("--baseline-presses", type=int, default=10,
                        help="presses on the grid's Columns slider (full rerun; at most 6 steps from 3 to 15)")
    parser.add_argument("--model", default="pretrained/vae", help="model key, e.g. pretrained/ae")
    parser.add_argument("--pause", type=float, default=0.25, help="seconds between presses")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; model {args.model}")
    server_path = {"AELAB_LIVE": "0"}  # Streamlit's sliders, what this measures (bench/live_decoder.py: the browser)
    with tempfile.TemporaryDirectory() as folder, running_app(Path(folder), server_path) as base, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(f"{base}/traverse?data=mnist-5k&model={args.model}")
        page.locator(".st-key-traverse_code_state").get_by_text("no slider moved yet").wait_for(timeout=120_000)
        wait_idle(page)
        page.evaluate(WATCH_JS, [DECODED, GRID_CAPTION])
        latent = page.locator('[class*="st-key-traverse_z"]').first.get_by_role("slider")  # the top dimension's
        sweep(page, latent, 5, "decoded", args.pause)  # warm-up: first media requests, first fragment runs
        fragment = sweep(page, latent, min(args.presses, 99), "decoded", args.pause)

        # Columns slider: 3..15 by 2, so Home then at most 6 steps right; repeat to collect enough presses.
        columns = page.get_by_test_id("stSlider").filter(has_text="Columns").get_by_role("slider")
        columns.scroll_into_view_if_needed()
        full: list[float] = []
        while len(full) < args.baseline_presses:
            full += sweep(page, columns, min(6, args.baseline_presses - len(full)), "grid", args.pause)
        browser.close()
    median_fragment = report("latent slider -> decoded image (fragment)", fragment)
    median_full = report("grid Columns slider -> grid (full rerun)", full)
    print(f"goal: median <= 120 ms for the latent slider: {'met' if median_fragment <= 120 else 'NOT met'}; "
          f"full rerun / fragment = {median_full / median_fragment:.2f}x")


if __name__ == "__main__":
    main()
