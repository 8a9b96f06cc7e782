"""Does a slider still answer while someone trains? Time from a slider key press to the updated decoded image on the
Traverse page, in Chromium, with the server idle and while a training job runs (started from the Train page in a
second browser session that keeps watching it, as a student would).

Usage, from the repository root:
    .venv/bin/python -m bench.slider_during_training [--presses 40] [--threads 1,2] [--trainings 1]
       [--no-watch] [--post-script-gc]        (AELAB_JOB_NICENESS=0 in the environment: trainings at normal priority)

For each torch thread count (AELAB_TORCH_THREADS, read by ui/common/state.py at import) it starts its own Streamlit
server
and measures: idle, during training, idle again (the two idle rounds together are the baseline, which evens out
drift on a shared machine). Latency is measured inside the page: from the keydown event to the first animation
frame on which the new image has loaded. Prints median, p95 and the ratio training / idle (goal: <= 1.5), and how
fast the training went meanwhile (a thread setting that keeps sliders fast by starving the training is no win).
Everything (server, the measuring browser, the trainer's browser) shares this machine's cores.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.app_server import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, running_app

REPO = Path(__file__).resolve().parents[1]

CAPTION = "decoded from the sliders"

# Records, on every animation frame, when the decoded image shows a new, fully loaded picture; and each keydown time.
WATCH_JS = """() => {
  if (window.__bench) return;
  window.__bench = {changes: [], keydowns: [], last: null};
  const image = () => {  // the <img> next to the caption of the decoded image
    let node = [...document.querySelectorAll('[data-testid="stImageCaption"]')]
      .find(e => e.innerText.includes('CAPTION'));
    while (node && !node.querySelector('img')) node = node.parentElement;
    return node ? node.querySelector('img') : null;
  };
  const tick = () => {
    const img = image();
    if (img && img.complete && img.naturalWidth > 0 && img.currentSrc !== window.__bench.last) {
      window.__bench.last = img.currentSrc;
      window.__bench.changes.push(performance.now());
    }
    requestAnimationFrame(tick);
  };
  document.addEventListener('keydown', () => window.__bench.keydowns.push(performance.now()), true);
  requestAnimationFrame(tick);
}""".replace("CAPTION", CAPTION)


def server_env(threads: int, post_script_gc: bool) -> dict[str, str]:
    # .streamlit/config.toml turns Streamlit's gc.collect() after every run off; this can turn it back on.
    return {"STREAMLIT_RUNNER_POST_SCRIPT_GC": str(post_script_gc).lower(), "AELAB_TORCH_THREADS": str(threads),
            "AELAB_JOB_NICENESS": os.environ.get("AELAB_JOB_NICENESS", "10"),
            "AELAB_LIVE": "0"}  # Streamlit's sliders: the server path this measures (bench/live_decoder.py: live)


def open_traverse(context, base: str):
    page = context.new_page()
    page.goto(f"{base}/traverse?data=mnist-5k&model=pretrained/ae")
    page.get_by_text(CAPTION).first.wait_for(timeout=120_000)
    page.evaluate(WATCH_JS)
    slider = page.locator('[class*="st-key-traverse_z"]').first.get_by_role("slider")  # the top dimension's
    slider.focus()
    return page, slider


def measure(page, slider, presses: int, pause_s: float = 0.25) -> list[float]:
    """Latencies in ms of `presses` key presses, alternating right and left so the value stays in range."""
    latencies = []
    for i in range(presses):
        seen = page.evaluate("window.__bench.changes.length")
        slider.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        page.wait_for_function(f"window.__bench.changes.length > {seen}", timeout=30_000)
        keydown, shown = page.evaluate(f"[window.__bench.keydowns.at(-1), window.__bench.changes[{seen}]]")
        latencies.append(shown - keydown)
        time.sleep(pause_s)
    return latencies


def start_trainings(context, base: str, count: int, watch: bool = True) -> list:
    """count sessions, each starting a long training and, if watch, watching it (the page polls twice a second)."""
    pages = []
    for k in range(count):
        page = context.browser.new_context(viewport=VIEWPORT).new_page()
        page.goto(f"{base}/train")
        page.get_by_role("button", name="Start training").wait_for(timeout=120_000)
        for label, value in (("Save as", f"bench-{k}-{time.time_ns()}"), ("Epochs", "1000")):
            box = page.get_by_label(label, exact=True)
            box.fill(value)
            box.press("Enter")
            page.wait_for_timeout(800)
        page.get_by_role("button", name="Start training").click()
        page.wait_for_function("() => /epoch [2-9]/.test(document.body.innerText)", timeout=120_000)
        if not watch:  # leave the Train page: only the training itself loads the server
            page.get_by_role("link", name="Home").click()
            page.get_by_role("heading", name="What do autoencoders learn?").wait_for(timeout=60_000)
        pages.append(page)
    return pages


def training_steps(trainer) -> int:
    """The step count shown by a watched training's progress bar ("step 130/32000")."""
    text = trainer.locator('[data-testid="stProgress"]').filter(has_text="step ").first.inner_text(timeout=30_000)
    return int(text.split("step ")[1].split("/")[0])


def stats(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def run(threads: int, presses: int, trainings: int, watch: bool, post_script_gc: bool) -> tuple[dict, float]:
    """Latencies (ms) idle and during training, and the (first) training's speed in steps/s meanwhile."""
    rate = float("nan")
    with tempfile.TemporaryDirectory() as folder, running_app(Path(folder), server_env(threads, post_script_gc),
                                                              log_name=f"server-{threads}.log") as base, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        page, slider = open_traverse(context, base)
        measure(page, slider, 6)  # warm-up: first decodes, first media requests
        idle = measure(page, slider, presses // 2)
        trainers = start_trainings(context, base, trainings, watch)
        slider.focus()
        steps_before, started = training_steps(trainers[0]) if watch else 0, time.perf_counter()
        busy = measure(page, slider, presses)
        if watch:
            rate = (training_steps(trainers[0]) - steps_before) / (time.perf_counter() - started)
        for trainer in trainers:
            if not watch:
                trainer.get_by_role("link", name="Train").first.click()
            trainer.get_by_role("button", name="Cancel training").wait_for(timeout=60_000)
            trainer.get_by_role("button", name="Cancel training").click()
        for trainer in trainers:
            trainer.get_by_text("Cancelled after").first.wait_for(timeout=60_000)
        slider.focus()
        idle += measure(page, slider, presses - presses // 2)
        browser.close()
    return {"idle": idle, "training": busy}, rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=40, help="key presses per condition")
    parser.add_argument("--threads", default=f"{max(1, (os.cpu_count() or 2) // 2)},{os.cpu_count() or 2}",
                        help="comma-separated torch thread counts to compare (default: half the cores, all cores)")
    parser.add_argument("--trainings", type=int, default=1, help="trainings running at once during the test")
    parser.add_argument("--post-script-gc", action="store_true",
                        help="turn Streamlit's gc.collect() after every script run back on (for comparison)")
    parser.add_argument("--no-watch", dest="watch", action="store_false",
                        help="the trainer leaves the Train page after starting (no live view polling the server)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; {args.presses} presses per condition; {args.trainings} training(s) running"
          f"{' and watched live' if args.watch else ', nobody watching'}; post-script GC "
          f"{'on' if args.post_script_gc else 'off'}; "
          f"load average before: {os.getloadavg()[0]:.1f}")
    print(f"{'torch threads':>13} {'condition':>10} {'median ms':>10} {'p95 ms':>8} {'n':>4}")
    for threads in (int(t) for t in args.threads.split(",")):
        result, rate = run(threads, args.presses, args.trainings, args.watch, args.post_script_gc)
        medians = {}
        for condition, values in result.items():
            medians[condition], p95 = stats(values)
            print(f"{threads:>13} {condition:>10} {medians[condition]:>10.0f} {p95:>8.0f} {len(values):>4}")
        print(f"{threads:>13} {'ratio':>10} {medians['training'] / medians['idle']:>10.2f}   (training / idle median; "
              f"the training meanwhile: {rate:.0f} steps/s)")


if __name__ == "__main__":
    main()
