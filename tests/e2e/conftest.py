"""Real-browser tests: one Streamlit server per test session, driven by Playwright with the system Chromium.

The server runs with its own empty model library and data cache (temporary folders), so tests never touch the
user's files. Pages are reached at BASE_URL/<page file stem>, e.g. /train.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("AELAB_CHROMIUM") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """Start `streamlit run app.py` on a free port; yield its base URL; stop only the process group we started."""
    home = tmp_path_factory.mktemp("aelab_home")
    port = _free_port()
    # No UMAP warm-up: its 1-3 minutes of background compiling on a 2-core machine slowed the browser tests into
    # timeouts; the warm-up has its own tests, and the Latent Space tests use the shipped projections.
    env = {**os.environ, "AELAB_HOME": str(home / "models"), "AELAB_DATA_DIR": str(home / "data"),
           "PYTHONUNBUFFERED": "1", "AELAB_UMAP_WARMUP": "0"}
    log = open(home / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(base + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited: {(home / 'server.log').read_text()[-2000:]}")
    else:
        os.killpg(proc.pid, signal.SIGTERM)
        raise RuntimeError("streamlit did not become healthy in 90 s")
    yield base
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished the current run (its 'running' status widget is gone)."""
    page.wait_for_timeout(150)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelector('[data-testid=\"stApp\"]')", timeout=timeout)


def open_page(page, app_server: str, path: str = "", query: str = "") -> None:
    """Go to a page (e.g. "train") and wait until it has rendered without an exception."""
    page.goto(f"{app_server}/{path}{('?' + query) if query else ''}")
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=60_000)
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()

