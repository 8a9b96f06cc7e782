"""What an upload costs the server's memory: its peak and what it keeps, for the issue's hostile files, against the
same uploads to a baseline checkout (the code before the memory budget) in the same run.

Run from the repository root (AELAB_CHROMIUM=/usr/bin/chromium), with a checkout of the code to compare against:
  git worktree add /tmp/aelab-before <commit before the budget>
  .venv/bin/python -m bench.upload_memory --baseline /tmp/aelab-before
  .venv/bin/python -m bench.upload_memory --cases npz,idx --baseline /tmp/aelab-before
  .venv/bin/python -m bench.upload_memory --cases big                  # this checkout only; writes a 1 GB file

Each case starts a fresh server (tests/app_server.py: default budgets, AELAB_UPLOAD_BUDGET_MB=256,
AELAB_SESSION_BUDGET_MB=320, unless set in the environment), opens Home in Chromium, waits for it to settle, takes the
server's resident memory, resets its high-water mark (/proc/PID/clear_refs), drops the case's files on the sidebar's
uploader one after another in one tab, waits for each to be refused or selected, and then reads the high-water mark
(peak) and, 5 s after the last one, the resident memory (held); both above the level before, and before/after as
a ratio (an "after" under 1 MiB counted as 1 MiB). Cases:
  npz      np.savez_compressed of 200,000 blank 64x64 images and labels: 0.8 MB, 3.3 GB as the app's floats
  idx      an IDX .gz declaring 200,000 64x64 images: 0.8 MB
  three    three 0.3 MB .npz of 65,000 blank 64x64 images each (1 GB each as floats), in one tab
  session  three .npz of 10,000 blank 64x64 images (156 MiB each as floats): two fit a session's 320 MiB, not three
  big      a 1,000,000,128-byte .npz of 244,140 64x64 images (refused everywhere: more than 200,000 images)
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.*, when run as a script

from tests.app_server import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    REPO,
    SERVER_PIDS,
    VIEWPORT,
    reset_peak,
    resident_mib,
    running_app,
    upload_file,
    wait_idle,
)
from tests.hostile_files import compressed_npz, idx_gz  # noqa: E402

CASES = ("npz", "idx", "three", "session")
UPLOAD_TIMEOUT_MS = 600_000  # the code before the budget took about a minute to accept the 0.8 MB .npz

def case_files(case: str, folder: Path) -> list[Path]:
    """The files a case uploads, in order (built small: nothing holds their zeros)."""
    if case == "npz":
        return [compressed_npz(folder / "z.npz", (200_000, 64, 64), labels=200_000)]
    if case == "idx":
        (folder / "idx").mkdir()
        return [idx_gz(folder / "idx" / "train-images-idx3-ubyte.gz", (200_000, 64, 64), 200_000 * 64 * 64)]
    if case == "three":
        return [compressed_npz(folder / f"blank{k}.npz", (65_000, 64, 64), labels=65_000) for k in (1, 2, 3)]
    if case == "session":
        return [compressed_npz(folder / f"part{k}.npz", (10_000, 64, 64), labels=10_000) for k in (1, 2, 3)]
    if case == "big":
        path = folder / "big.npz"
        return [compressed_npz(path, (244_140, 64, 64), compress=False)]
    raise SystemExit(f"unknown case {case!r}; choose from {', '.join((*CASES, 'big'))}")


def measure(browser, base: str, files: list[Path]) -> dict:
    """Peak and held resident memory (MiB above the settled level before) of the server while files are uploaded."""
    pid = SERVER_PIDS[base]
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(base)
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=120_000)
    wait_idle(page, timeout=120_000)
    time.sleep(2)
    before = resident_mib(pid)["rss"]
    reset_peak(pid)
    outcomes = [upload_file(page, path, UPLOAD_TIMEOUT_MS) for path in files]
    wait_idle(page, timeout=120_000)
    peak = resident_mib(pid)["peak"]
    time.sleep(5)
    held = resident_mib(pid)["rss"]
    page.close()
    return {"before": before, "peak": peak - before, "held": held - before, "outcomes": outcomes}


def run(repo: Path, files: list[Path], browser) -> dict:
    """measure() on a fresh server of the checkout repo."""
    # No background imports after the first page (pandas, scikit-learn): they would land in the window measured.
    with tempfile.TemporaryDirectory() as home, running_app(Path(home), {"AELAB_WARM_IMPORTS": "0"}, repo=repo) as base:
        return measure(browser, base, files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, default=None, help="a checkout of the code to compare against")
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)}, big")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    checkouts = ([("before", args.baseline)] if args.baseline else []) + [("after", REPO)]
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print(f"{'case':<8} {'code':<7} {'rss before':>10} {'peak +':>9} {'held +':>9}  uploads (outcome, seconds)")
        for case in args.cases.split(","):
            (Path(folder) / case).mkdir()
            files, results = case_files(case, Path(folder) / case), {}
            for label, repo in checkouts:
                result = results[label] = run(repo, files, browser)
                said = ", ".join(f"{outcome} {seconds:.1f}s" for outcome, seconds in result["outcomes"])
                print(f"{case:<8} {label:<7} {result['before']:>7.0f} MiB {result['peak']:>5.0f} MiB "
                      f"{result['held']:>5.0f} MiB  {said}", flush=True)
            if len(results) == 2:
                ratio = {k: results["before"][k] / max(results["after"][k], 1.0) for k in ("peak", "held")}
                print(f"{case:<8} before/after: peak {ratio['peak']:.0f}x, held {ratio['held']:.0f}x", flush=True)
        browser.close()


if __name__ == "__main__":
    main()
