"""Start to Finished: a training in the app, from the click on Start to the page saying "Finished", against the same
training from the CLI (`aelab train`, the whole command, with the worker's torch thread count), in the same run.

Usage, from the repository root:
    AELAB_CHROMIUM=/usr/bin/chromium .venv/bin/python -m bench.train_latency [--rounds 2] [--epochs 3]
        [--latents 2,16] [--base DIR]

Each round starts a fresh server (tests/app_server.py: the default backend, a warm worker process started when the
Train page opens), opens the Train page in Chromium for each model (a VAE of each --latents size, --epochs epochs on
mnist-5k's 4,000 training images, set through the page's link: ?variant=vae&latent=D&epochs=E), leaves the page
--read seconds (a person setting the knobs: the worker is started meanwhile, as it is for a user) and clicks Start
(with --warm-up, after an untimed 1-epoch training: the steady state of a server that has trained before).
Then it runs the CLI training of each model. --base DIR runs the same app from another checkout in the same round
(e.g. `git archive 110991b | tar -x -C /tmp/base`, with a .venv link): its numbers are the "before".
Prints, per model, the medians and the ratio app / CLI (the goal: at most 1.3), with the load average: timings on a
shared machine are only comparable within one run.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.app_server, when run as a script

from tests.app_server import CHROMIUM, CHROMIUM_ARGS, REPO, VIEWPORT, running_app, wait_idle  # noqa: E402

FINISHED_TIMEOUT_MS = 1_200_000  # a ceiling, not an expectation: under load the old app took minutes
WORKER_THREADS = int(os.environ.get("AELAB_WORKER_THREADS", "0")) or max(1, (os.cpu_count() or 2) // 2)


def app_trainings(browser, repo: Path, home: Path, latents: list[int], epochs: int, read_s: float,
                  env: dict[str, str], warm_up: bool) -> dict[int, float]:
    """{latent size: seconds from the click on Start to "Finished" on the page}, one fresh server for all; with
    warm_up, an untimed 1-epoch training first (the worker started and its first-use imports done)."""
    seconds = {}
    with running_app(home, env=env, repo=repo) as base:
        page = browser.new_page(viewport=VIEWPORT)
        try:
            for latent in ([0] if warm_up else []) + latents:
                query = "latent=2&epochs=1&images=500" if latent == 0 else f"latent={latent}&epochs={epochs}"
                page.goto(f"{base}/train?variant=vae&{query}")
                page.get_by_role("button", name="Start training").wait_for(timeout=120_000)
                wait_idle(page)
                box = page.get_by_label("Save as", exact=True)
                box.fill(f"bench-vae-{latent}")
                box.press("Enter")
                wait_idle(page)
                page.wait_for_timeout(read_s * 1000)
                started = time.perf_counter()
                page.get_by_role("button", name="Start training").click()
                # this training's message (the tab re-attaches to the one before until Start is clicked)
                page.get_by_text(re.compile(f"Finished: .*as bench-vae-{latent}\\b")).wait_for(
                    timeout=FINISHED_TIMEOUT_MS)
                seconds[latent] = time.perf_counter() - started
            seconds.pop(0, None)
        finally:
            page.close()
    return seconds


def cli_training(repo: Path, home: Path, latent: int, epochs: int) -> float:
    """Seconds of `python -m aelab train` for the same model, start of the process to its end."""
    env = {**os.environ, "AELAB_HOME": str(home / "models"), "AELAB_DATA_DIR": str(home / "data"),
           "OMP_NUM_THREADS": str(WORKER_THREADS), "MKL_NUM_THREADS": str(WORKER_THREADS)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "aelab", "train", "--variant", "vae", "--latent-dim", str(latent),
                    "--epochs", str(epochs), "--data", "mnist-5k", "--out", str(home / "cli" / f"vae-{latent}"),
                    "--overwrite"], cwd=repo, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--latents", default="2,16")
    parser.add_argument("--read", type=float, default=10.0, help="seconds on the Train page before Start")
    parser.add_argument("--base", type=Path, help="another checkout of the app, timed in the same rounds")
    parser.add_argument("--warm-up", action="store_true", help="an untimed 1-epoch training first on each server")
    parser.add_argument("--niceness", help="AELAB_JOB_NICENESS of the servers (default: the app's, 10); 0 puts the "
                        "worker level with the CLI, which a loaded machine otherwise favours")
    args = parser.parse_args()
    latents = [int(v) for v in args.latents.split(",")]
    apps = {"this checkout": REPO, **({f"base ({args.base})": args.base.resolve()} if args.base else {})}
    app_s: dict[tuple[str, int], list[float]] = {}
    cli_s: dict[int, list[float]] = {}
    loads = []
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for round_ in range(args.rounds):
                for index, (label, repo) in enumerate(apps.items()):
                    home = Path(folder) / f"round{round_}-app{index}"  # a library of its own: the names are free
                    env = {} if args.niceness is None else {"AELAB_JOB_NICENESS": args.niceness}
                    for latent, seconds in app_trainings(browser, repo, home, latents, args.epochs, args.read, env,
                                                         args.warm_up).items():
                        app_s.setdefault((label, latent), []).append(seconds)
                for latent in latents:
                    cli_s.setdefault(latent, []).append(cli_training(REPO, Path(folder) / "cli", latent, args.epochs))
                loads.append(os.getloadavg()[0])
                print(f"round {round_ + 1}: " + ", ".join(f"{label} vae-{d} {v[-1]:.1f} s" for (label, d), v in
                                                           app_s.items()) + ", CLI " +
                      ", ".join(f"vae-{d} {v[-1]:.1f} s" for d, v in cli_s.items()), flush=True)
        finally:
            browser.close()
    print(f"\nStart to Finished, medians of {args.rounds} rounds ({args.epochs} epochs, CLI with {WORKER_THREADS} "
          f"torch thread(s), server niceness {args.niceness or 'default'}, warm-up {args.warm_up}; load average at "
          f"the rounds' ends {', '.join(f'{v:.1f}' for v in loads)}):")
    for latent in latents:
        cli = statistics.median(cli_s[latent])
        print(f"  vae latent {latent}: CLI {cli:6.1f} s  [{', '.join(f'{v:.1f}' for v in cli_s[latent])}]")
        for label in apps:
            values = app_s[(label, latent)]
            app = statistics.median(values)
            print(f"    app, {label:30s} {app:6.1f} s  [{', '.join(f'{v:.1f}' for v in values)}]  "
                  f"{app / cli:.2f}x the CLI")


if __name__ == "__main__":
    main()
