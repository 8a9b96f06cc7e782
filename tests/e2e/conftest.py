"""Real-browser tests: one Streamlit server per test session, driven by Playwright with the system Chromium.

The server runs with its own empty model library and data cache (temporary folders), so tests never touch the
user's files. Pages are reached at BASE_URL/<page file stem>, e.g. /train. Starting the server and waiting for a
page to settle live in tests/app_server.py, shared with the benchmarks and the screenshot script.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_server import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, running_app, wait_idle

# what the browser tests import from here
__all__ = ["choose_option", "model_options", "open_page", "wait_idle", "without_webgl"]

_SERVER_LOG: list[Path] = []  # the running server's log, shown under a failed browser test


def pytest_collection_modifyitems(items):
    """One retry, and only after a Playwright timeout, for each browser test: on a loaded 2-core machine a page can
    miss a 30-120 s wait once in a few hundred runs. A broken feature still fails (twice), and a retried test shows
    as "R" in the progress line and as "N rerun" in the summary, so flakes stay visible and get fixed."""
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.flaky(reruns=1, only_rerun=["TimeoutError"]))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test reports the end of the Streamlit server's log too (CI shows only the test output)."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and _SERVER_LOG and "app_server" in getattr(item, "fixturenames", ()):
        text = _SERVER_LOG[-1].read_text(errors="replace") if _SERVER_LOG[-1].exists() else "(no log)"
        report.sections.append(("streamlit server log, last 4000 characters", text[-4000:] or "(empty)"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": VIEWPORT}


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """The app's base URL, served for the whole session (no UMAP warm-up: the Latent Space tests use the shipped
    projections, and the warm-up has its own tests)."""
    home = tmp_path_factory.mktemp("aelab_home")
    _SERVER_LOG.append(home / "server.log")
    with running_app(home) as base:
        yield base


# Every frame of the page (the map's iframe included) gets no WebGL context, as a browser without WebGL would
NO_WEBGL_JS = """(() => { const get = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
    return /^(webgl|webgl2|experimental-webgl)$/.test(kind) ? null : get.call(this, kind, ...rest); }; })();"""


def without_webgl(page) -> None:
    """Make `page` a browser without WebGL (before it opens anything): the Latent page draws its Plotly map."""
    page.add_init_script(NO_WEBGL_JS)


def open_page(page, app_server: str, path: str = "", query: str = "") -> None:
    """Go to a page (e.g. "train") and wait until it has rendered without an exception."""
    page.goto(f"{app_server}/{path}{('?' + query) if query else ''}")
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=60_000)
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()


def model_options(page, typed: str) -> list[str]:
    """The labels the sidebar's Model picker offers when typed is typed in it ("name (variant, source)": the
    browser shows one space where the label has two). The list is virtual: typing filters it."""
    box = page.get_by_role("combobox", name="Model")
    box.click()
    box.press_sequentially(typed)
    page.wait_for_timeout(300)
    options = [" ".join(o.split()) for o in page.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")
    wait_idle(page)
    return options


def choose_option(page, selectbox, option: str, exact: bool = True, tries: int = 3) -> None:
    """Open a selectbox (a locator) and click option in its list. A click that lands while a rerun is redrawing the
    box can leave the list closed (seen on fresh, loaded servers): then the page is let settle and the box clicked
    again, up to tries times."""
    wanted = page.get_by_role("option", name=option, exact=exact)
    for attempt in range(tries):
        wait_idle(page)
        selectbox.click()
        try:
            wanted.first.wait_for(timeout=10_000)
        except Exception:  # Playwright's TimeoutError: the list did not open
            if attempt == tries - 1:
                raise
            page.keyboard.press("Escape")
            continue
        wanted.first.click()
        wait_idle(page)
        return
