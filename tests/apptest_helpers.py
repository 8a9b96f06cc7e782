"""AppTest helpers: run the whole app (sidebar included) on a given page, with a private library and cache."""
from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[1]


def run_app(page: str | None = None, timeout: float = 60, **session_state) -> AppTest:
    """AppTest of app.py switched to page (e.g. "pages/train.py"), with session_state set before the first run.
    Use the `isolated_aelab_home` fixture (or monkeypatch AELAB_HOME) so saved models go to a temporary folder."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout)
    for key, value in session_state.items():
        at.session_state[key] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rerun_until(at: AppTest, condition, timeout: float = 60, interval: float = 0.2) -> AppTest:
    """AppTest is synchronous: to follow a background job, rerun until condition(at) holds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        at.run()
        if condition(at):
            return at
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def texts(at: AppTest) -> str:
    """All markdown, captions, info/success/warning/error text of the page, joined, for assertions."""
    parts = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "title", "header", "subheader"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)
