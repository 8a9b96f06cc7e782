"""How long the app's links get: every address Chromium shows while a person sets views on each page, the
drawn and selected ones included (a drawn mask, a drawn digit, a box selection, a triangle point, moved sliders).

Run from the repository root (AELAB_CHROMIUM=/usr/bin/chromium):
  .venv/bin/python -m bench.link_lengths

Prints the longest address seen, on which page, and the median of all of them (full URLs, as a person copies them,
host and port included). A link must stay under 2,000 characters; the unit tests check the longest views that can be
built (tests/unit/test_views.py), this measures the ones people make.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.*, when run as a script

from tests.app_server import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, running_app, wait_idle  # noqa: E402
from tests.e2e import test_views as steps  # noqa: E402  (the browser tests' own ways of setting each view)


def _latent_heavy(page) -> None:
    """A box selection and a drawn digit: the Latent page's longest view."""
    page.wait_for_selector(steps.CHART, timeout=60_000)
    chart = page.locator(steps.CHART)
    chart.scroll_into_view_if_needed()
    chart.hover()
    page.locator(".st-key-scatter [data-title='Box Select']").click()
    area = page.evaluate("""() => { const gd = document.querySelector('.st-key-scatter .js-plotly-plot');
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
        return [box.left + xa._offset, box.top + ya._offset, xa._length, ya._length]; }""")
    page.mouse.move(area[0] + 0.2 * area[2], area[1] + 0.2 * area[3])
    page.mouse.down()
    page.mouse.move(area[0] + 0.8 * area[2], area[1] + 0.8 * area[3], steps=10)
    page.mouse.up()
    page.locator("p", has_text="points selected").first.wait_for(timeout=60_000)
    wait_idle(page)
    steps.draw(page, page.locator("canvas.upper-canvas").first, [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])
    page.get_by_text("Reconstruction error", exact=False).wait_for(timeout=60_000)


def _restore_heavy(page) -> None:
    steps.choose_option(page, page.get_by_role("combobox", name="Corruption"), "Drawn mask", exact=False)
    steps.draw(page, page.locator("canvas.upper-canvas").first, [(0.1, 0.2), (0.9, 0.3), (0.2, 0.7), (0.8, 0.8)])
    page.get_by_text("Means over", exact=False).wait_for(timeout=120_000)


def _traverse_heavy(page) -> None:
    page.get_by_test_id("stRadio").get_by_text("Draw it", exact=True).first.click()
    wait_idle(page)
    steps.draw(page, page.locator("canvas.upper-canvas").first, [(0.3, 0.2), (0.7, 0.2), (0.4, 0.9)])
    wait_idle(page)


HEAVY = {"latent": _latent_heavy, "restore": _restore_heavy, "traverse": _traverse_heavy}


def main() -> None:
    from playwright.sync_api import sync_playwright

    seen: list[tuple[int, str]] = []
    with tempfile.TemporaryDirectory() as folder, running_app(Path(folder)) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for path, _title, query, change, _written in steps.PAGES:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            steps.open_page(page, base, path, query)
            seen.append((len(page.url), path))
            for action in (change, HEAVY.get(path)):
                if action is None:
                    continue
                try:
                    action(page)
                    wait_idle(page)
                except Exception as err:  # a step that timed out on a loaded machine: say so, measure the rest
                    print(f"{path}: {getattr(action, '__name__', 'a step')} did not finish ({type(err).__name__})")
                seen.append((len(page.url), path))
            print(f"{path:14s} {len(page.url):5d}  {page.url[len(base):][:150]}", flush=True)
            page.context.close()
        browser.close()
    longest = max(seen)
    print(f"\n{len(seen)} addresses: longest {longest[0]} characters ({longest[1]}), median "
          f"{statistics.median(n for n, _ in seen):.0f}; every one under 2,000: {longest[0] < 2000}")


if __name__ == "__main__":
    main()
