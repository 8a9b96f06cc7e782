"""Does the Latent page still open quickly while someone trains? Full page loads of /latent in Chromium against a
real server, idle and while one training runs (started and watched from the Train page in another browser session,
as a student would), for each training backend (AELAB_TRAINING_BACKEND: thread = in the server's process, as
before; process = a warm worker process at a lower priority).

Usage, from the repository root:
    .venv/bin/python -m bench.latent_under_training [--loads 5] [--backends thread,process]

A load is a fresh browser context opening /latent?data=mnist-5k&model=pretrained/ae (a new Streamlit session, the
page's script run in full) and ends when the page has settled (tests/app_server.py: connected, no script running,
no status widget, nothing stale, for 300 ms), the moment it became quiet, measured from the navigation's start.
For each backend its own server: one warm-up load, idle loads, loads during the training, idle loads again after
the training is cancelled (the idle rounds together are the baseline). Prints medians, the ratio training / idle
(goal: <= 1.5) and the training's speed meanwhile (a backend that keeps pages fast by starving the training is no
win). Everything, the browsers included, shares this machine's cores: run twice and read the ratios.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.slider_during_training import start_trainings, training_steps
from tests.app_server import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, running_app, wait_idle

LATENT = "/latent?data=mnist-5k&model=pretrained/ae"


def load_latent(browser, base: str) -> float:
    """Seconds from navigation start to the settled Latent page, in a fresh context (a new session)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(base + LATENT)
    page.locator(".js-plotly-plot").first.wait_for(timeout=180_000)  # the map
    wait_idle(page, timeout=180_000)
    quiet_since_ms = page.evaluate("window.__aelabQuietSince")  # performance.now(): ms since navigation start
    context.close()
    return quiet_since_ms / 1000


def run(backend: str, loads: int) -> tuple[dict[str, list[float]], float]:
    env = {"AELAB_TRAINING_BACKEND": backend, "AELAB_JOB_NICENESS": os.environ.get("AELAB_JOB_NICENESS", "10")}
    with tempfile.TemporaryDirectory() as folder, running_app(Path(folder), env, log_name=f"{backend}.log") as base, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        load_latent(browser, base)  # warm-up: the first visit loads the model and dataset and fills the caches
        idle = [load_latent(browser, base) for _ in range(loads)]
        trainer = start_trainings(browser.new_context(viewport=VIEWPORT), base, 1)[0]
        steps_before, started = training_steps(trainer), time.perf_counter()
        busy = [load_latent(browser, base) for _ in range(loads)]
        rate = (training_steps(trainer) - steps_before) / (time.perf_counter() - started)
        trainer.get_by_role("button", name="Cancel training").click()
        trainer.get_by_text("Cancelled after").first.wait_for(timeout=60_000)
        idle += [load_latent(browser, base) for _ in range(loads)]
        browser.close()
    return {"idle": idle, "training": busy}, rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5, help="page loads per condition (idle: twice that)")
    parser.add_argument("--backends", default="thread,process", help="comma-separated training backends")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.1f}; {args.loads} loads per condition")
    print(f"{'backend':>8} {'condition':>10} {'median s':>9} {'min s':>7} {'max s':>7} {'n':>3}")
    summary = []
    for backend in args.backends.split(","):
        result, rate = run(backend, args.loads)
        medians = {}
        for condition, values in result.items():
            medians[condition] = statistics.median(values)
            print(f"{backend:>8} {condition:>10} {medians[condition]:>9.2f} {min(values):>7.2f} {max(values):>7.2f} "
                  f"{len(values):>3}")
        ratio = medians["training"] / medians["idle"]
        summary.append((backend, ratio, rate))
        print(f"{backend:>8} {'ratio':>10} {ratio:>9.2f}   (training / idle median; the training meanwhile: "
              f"{rate:.0f} steps/s)", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    for backend, ratio, rate in summary:
        print(f"{backend}: Latent with a training running = {ratio:.2f}x idle (goal <= 1.5), "
              f"training {rate:.0f} steps/s")


if __name__ == "__main__":
    main()
