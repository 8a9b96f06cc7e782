"""Presenter mode at a projector's 1280x720: where each page's main picture sits, whether anything lies under the
Presenter switch, and whether the top bar reaches every page; for this checkout and, in the same run, another.

Run from the repository root (AELAB_CHROMIUM=/usr/bin/chromium):
  .venv/bin/python -m bench.presenter                          # this checkout only
  .venv/bin/python -m bench.presenter --before /tmp/old        # also another checkout (e.g. main at 84164ae),
                                                               # each page's "before" row beside its "after" row
  .venv/bin/python -m bench.presenter --pages generate,restore

Each checkout gets a fresh server (its own empty library and data cache); each page is opened with ?present=1 in a
fresh 1280x720 tab and measured once it has settled. "top": the main picture's top edge (the container with CSS class
st-key-main_picture) in viewport pixels, before any scrolling; "bottom": where it ends (past 720: cut at the screen's
edge); "visible": how many of its pixels show in the viewport (the goal is top < 360 and visible >= 360); "under
switch": page elements whose box meets the Presenter switch's bar; "top bar": page links shown in the top bar, and
whether a "N more" menu hides the rest. Layout does not depend on the machine's load, so one run is enough; a loaded
machine only makes it slower.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.app_server, when run as a script

from bench.startup import _settled_at, _start, _wait_health  # noqa: E402
from tests.app_server import CHROMIUM, CHROMIUM_ARGS, PRESENTER_JS, REPO, _stop  # noqa: E402

PROJECTOR = {"width": 1280, "height": 720}
# The page, and the query that opens it as the walk did (the default dataset and model).
PAGES = {"home": "", "train": "train", "latent": "latent", "traverse": "traverse", "interpolate": "interpolate",
         "generate": "generate", "restore": "restore", "anomalies": "anomalies", "applications": "applications",
         "lessons": "lessons", "lessons (rate)": "lessons?section=rate", "playground": "playground",
         "factors": "factors"}

def measure(browser, base: str, path: str, timeout_ms: int) -> dict:
    """The page at base/path?present=1 in a fresh 1280x720 tab, once settled (and its main picture drawn, if it
    has one within timeout_ms)."""
    context = browser.new_context(viewport=PROJECTOR)
    page = context.new_page()
    try:
        page.goto(f"{base}/{path}{'&' if '?' in path else '?'}present=1")
        _settled_at(page)
        try:
            page.wait_for_selector(".st-key-main_picture", timeout=timeout_ms)
            _settled_at(page)  # what the picture's run started (a component's first value) has ended too
        except Exception:  # Playwright's TimeoutError: a page without a main picture (Train before a training)
            pass
        found = page.evaluate(PRESENTER_JS)
        errors = page.locator('[data-testid="stException"]').count()
        return {**found, "errors": errors}
    finally:
        context.close()


def visible(row: dict) -> float | None:
    if row["top"] is None:
        return None
    return max(0.0, min(row["bottom"], PROJECTOR["height"]) - max(row["top"], 0.0))


def report(rows: dict[str, dict[str, dict]]) -> None:
    print(f"\npresenter mode at {PROJECTOR['width']}x{PROJECTOR['height']} (goal: top < {PROJECTOR['height'] // 2} "
          "and visible >= 360 px; nothing under the switch; every page in the top bar)")
    print(f"{'page':16s} {'checkout':9s} {'top':>6s} {'bottom':>7s} {'visible':>8s} {'ok':>3s} {'under switch':>13s} "
          f"{'top bar':>12s}  notes")
    for name, by_checkout in rows.items():
        for checkout, row in by_checkout.items():
            seen = visible(row)
            top = "-" if row["top"] is None else f"{row['top']:.0f}"
            bottom = "-" if row["bottom"] is None else f"{row['bottom']:.0f}"
            shown = "-" if seen is None else f"{seen:.0f}"
            ok = "" if seen is None else ("yes" if row["top"] < PROJECTOR["height"] / 2 and seen >= 360 else "no")
            bar = f"{len(row['links'])} links" + (" +more" if row["more"] else "")
            under = [" ".join(item.split()) for item in row["under"]]  # (one line each)
            notes = "; ".join(under[:2]) + (f" (+{len(under) - 2})" if len(under) > 2 else "")
            notes += f" {row['errors']} exception(s)" if row["errors"] else ""
            print(f"{name:16s} {checkout:9s} {top:>6s} {bottom:>7s} {shown:>8s} {ok:>3s} {len(row['under']):>13d} "
                  f"{bar:>12s}  {notes}")


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="", help="another checkout of the app, measured in the same run")
    parser.add_argument("--pages", default="all", help=f"comma-separated, of: {', '.join(PAGES)}")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for a page's main picture")
    args = parser.parse_args()
    names = list(PAGES) if args.pages == "all" else args.pages.split(",")
    checkouts = [*([("before", Path(args.before))] if args.before else []), ("after" if args.before else "this",
                                                                              REPO)]
    rows: dict[str, dict[str, dict]] = {name: {} for name in names}
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for label, repo in checkouts:
                home = Path(folder) / label
                (home / "models").mkdir(parents=True)
                proc, base = _start(repo / "app.py", repo, home, "0")
                try:
                    _wait_health(base, proc)
                    for name in names:
                        rows[name][label] = measure(browser, base, PAGES[name], int(args.timeout * 1000))
                        print(f"{label} {name}: {rows[name][label]}", flush=True)
                finally:
                    _stop(proc)
        finally:
            browser.close()
    report(rows)


if __name__ == "__main__":
    main()
