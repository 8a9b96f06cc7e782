"""Run the app in a real server and drive it in Chromium: start `streamlit run app.py` on a free port with its own
model library and data cache, stop exactly what was started, and wait for a page to settle.

One copy for everything that needs a live app: the browser tests (tests/e2e), the slider benchmarks (bench/slider_*.py)
and the README's screenshots (scripts/screenshots.py). Scripts outside tests/ put the repository on sys.path first.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("AELAB_CHROMIUM") or "/usr/bin/chromium"  # Debian's package; ./run.sh installs it
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1000}
START_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER_PIDS: dict[str, int] = {}  # base URL -> the pid of the server process running_app started there


@contextmanager
def running_app(home: Path, env: dict[str, str] | None = None, umap_warmup: bool = False,
                log_name: str = "server.log", repo: Path = REPO) -> Iterator[str]:
    """Start the app with AELAB_HOME / AELAB_DATA_DIR under `home` (so nothing touches the user's files) and yield
    its base URL, e.g. http://127.0.0.1:43121; pages are at BASE/<page file stem>. The server's output goes to
    home/log_name. The UMAP warm-up is off unless asked for: its minutes of background compiling on a 2-core machine
    would compete with whatever is being tested or timed. `env` adds or overrides environment variables; `repo` is
    the checkout whose app.py runs (a benchmark compares another commit's); SERVER_PIDS[base] is its process."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    full_env = {**os.environ, "AELAB_HOME": str(home / "models"), "AELAB_DATA_DIR": str(home / "data"),
                "PYTHONUNBUFFERED": "1", "AELAB_UMAP_WARMUP": "1" if umap_warmup else "0", **(env or {})}
    log_path = home / log_name
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
             str(port), "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=repo, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    SERVER_PIDS[base] = proc.pid  # `python -m streamlit` runs in the process Popen started, not in a child
    try:
        _wait_healthy(base, proc, log_path)
        yield base
    finally:
        SERVER_PIDS.pop(base, None)
        _stop(proc)


def _wait_healthy(base: str, proc: subprocess.Popen, log_path: Path) -> None:
    # The health check does not run the app's script, so a test's first page request is still the first run.
    deadline = time.time() + START_TIMEOUT_S
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(base + "/_stcore/health", timeout=2).read() == b"ok":
                return
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
    raise RuntimeError(f"streamlit did not answer its health check in {START_TIMEOUT_S} s; see {log_path}")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group we started (the server and its children), SIGKILL if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


def resident_mib(pid: int) -> dict[str, float]:
    """A process's memory from /proc/PID/status (Linux), in MiB: "rss" now and "peak" (VmHWM, its high-water mark)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {"rss": int(fields["VmRSS"].split()[0]) / 1024, "peak": int(fields["VmHWM"].split()[0]) / 1024}


def reset_peak(pid: int) -> None:
    """Start the process's high-water mark (VmHWM) again from its current resident size: writing 5 to
    /proc/PID/clear_refs (Linux 4.0+, the process's owner), so a later peak is what happened since."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


# Settled: connected, the script not running (the attribute Streamlit's own browser tests read), no "running" status
# widget and no stale element left over from an earlier run -- all of it for quiet_ms in a row, because a component
# that reports its value on mount (a canvas, a clickable image) starts another run right after the first one ends.
_SETTLED_JS = """([quietMs]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const busy = !app || app.getAttribute('data-test-connection-state') !== 'CONNECTED'
    || app.getAttribute('data-test-script-state') !== 'notRunning'
    || document.querySelector('[data-testid="stStatusWidget"]')
    || document.querySelector('[data-stale="true"]');
  const now = performance.now();
  if (busy) { window.__aelabQuietSince = undefined; return false; }
  if (window.__aelabQuietSince === undefined) window.__aelabQuietSince = now;
  return now - window.__aelabQuietSince >= quietMs;
}"""
QUIET_MS = 300


def wait_idle(page, timeout: float = 60_000, quiet_ms: int = QUIET_MS) -> None:
    """Wait until Streamlit has finished its runs and stayed idle for quiet_ms (see _SETTLED_JS). A page that polls
    a live job (a fragment rerunning every 0.5 s) is never quiet for long: pass quiet_ms=0 there."""
    page.wait_for_timeout(150)  # a click's rerun request reaches the server before the page shows it as running
    page.evaluate("() => { window.__aelabQuietSince = undefined; }")
    page.wait_for_function(_SETTLED_JS, arg=[quiet_ms], timeout=timeout)


# Presenter mode, measured in the page (the browser tests and bench/presenter.py): the main picture's box (the container
# ui.common.present.main_picture marks), the page elements whose boxes meet the Presenter switch's bar (each
# "testid-or-tag:text"), and the page links the top bar shows whole (not folded into its "N more" menu).
PRESENTER_JS = """() => {
  const rect = (e) => e.getBoundingClientRect();
  const box = document.querySelector('.st-key-main_picture');
  const picture = box ? rect(box) : null;
  const bar = document.querySelector('.st-key-present_exit');
  const under = [];
  if (bar) {
    const b = rect(bar);
    const content = 'p, h1, h2, h3, h4, img, canvas, iframe, button, input, label, a, svg, .js-plotly-plot, '
      + '[data-testid="stMarkdownContainer"], [data-testid="stElementContainer"]';
    for (const e of document.querySelectorAll(content)) {
      if (bar.contains(e) || e.contains(bar)) continue;
      const r = rect(e);
      if (r.width < 1 || r.height < 1 || getComputedStyle(e).visibility === 'hidden') continue;
      const w = Math.min(r.right, b.right) - Math.max(r.left, b.left);
      const h = Math.min(r.bottom, b.bottom) - Math.max(r.top, b.top);
      if (w > 0 && h > 0) under.push((e.getAttribute('data-testid') || e.tagName.toLowerCase())
                                     + ':' + (e.innerText || e.getAttribute('alt') || '').slice(0, 30));
    }
  }
  const nav = document.querySelector('[data-testid="stTopNav"]');
  const shown = (a) => { const item = a.closest('.rc-overflow-item'); const r = rect(a);
    return r.width > 0 && r.right <= window.innerWidth && (!item || getComputedStyle(item).opacity !== '0'); };
  const links = nav ? Array.from(nav.querySelectorAll('a[data-testid="stTopNavLink"]')).filter(shown) : [];
  return {top: picture && picture.top, bottom: picture && picture.bottom, scrollY: window.scrollY, under,
          links: links.map(a => a.innerText.trim()), more: nav ? /\\d+ more/.test(nav.innerText) : false};
}"""


# The outcome of one upload: its name in the sidebar's error, or the Dataset picker showing it as "your upload".
_UPLOAD_OUTCOME_JS = """([name]) => {
  const side = document.querySelector('[data-testid="stSidebar"]');
  if (!side) return null;
  for (const alert of side.querySelectorAll('[data-testid="stAlert"]'))
    if (alert.textContent.includes('Could not use ' + name) || alert.textContent.includes('Could not read ' + name))
      return 'refused';
  for (const box of side.querySelectorAll('[data-testid="stSelectbox"]'))  // the choice is its <input>'s value
    if (Array.from(box.querySelectorAll('input')).some(i => i.value === name + ' (your upload)')) return 'accepted';
  return null;
}"""


def upload_file(page, path: Path, timeout_ms: float = 120_000) -> tuple[str, float]:
    """Drop one file on the sidebar's uploader (opening "Use your own data" if need be) and wait for the page to take
    it: ("refused" or "accepted", seconds from the drop until the page said so)."""
    # The file <input> itself is never visible (a drop zone stands for it): the expander's <details> says if it is open,
    # and a second click would close it.
    if page.locator('[data-testid="stSidebar"] details', has_text="Use your own data").get_attribute("open") is None:
        page.get_by_text("Use your own data").click()
    page.locator('[data-testid="stSidebar"] [data-testid="stFileUploaderDropzone"]').wait_for()
    started = time.perf_counter()
    page.locator('[data-testid="stSidebar"] input[type="file"]').set_input_files(str(path))
    outcome = page.wait_for_function(_UPLOAD_OUTCOME_JS, arg=[path.name], timeout=timeout_ms, polling=250)
    return outcome.json_value(), time.perf_counter() - started
