"""How fast the app opens: cold start to a settled Home, each page's first settled visit, against a one-line app.

Run from the repository root (AELAB_CHROMIUM=/usr/bin/chromium):
  .venv/bin/python -m bench.startup                     # 3 rounds: fresh servers, Home then every page, + baseline
  .venv/bin/python -m bench.startup --rounds 1 --pages latent,restore
  .venv/bin/python -m bench.startup --fresh-model       # also: the Latent page of a model trained a minute ago
  .venv/bin/python -m bench.startup --pause 3           # 3 s on each page before clicking the next, as a reader
  .venv/bin/python -m bench.startup --baseline 7c512d2  # also the app as it was at that commit, in the same rounds
  .venv/bin/python -m bench.startup --pages "" --baseline 0cb72ad   # Home only, before (that commit) and after
  .venv/bin/python -m bench.startup imports             # import profile of what app.py and the pages import
  .venv/bin/python -m bench.startup idle-cpu --seconds 300   # CPU seconds of a server nobody visits
  .venv/bin/python -m bench.startup idle-cpu --visit home,latent   # ... after one visitor opened Home and Latent

Each round starts a fresh `streamlit run app.py` (the way ./run.sh app does; --warmup 1 or 0 sets AELAB_UMAP_WARMUP) and
a fresh one-line app (`st.write("hello")`, from a temporary folder) and times, from the process start, how long until
Chromium shows the page settled; then it clicks each page in the sidebar and times its first visit. "Settled":
connected, no script running, no running indicator (stStatusWidget), no skeleton or spinner, no stale element, and
every <img> loaded, for 300 ms; the time reported is when that quiet stretch began. With --baseline REF, each round
also cold-starts the app as it was at git commit REF (exported with git archive into a temporary folder), so before
and after are measured side by side, each against the same round's one-line app.
Timings on a shared 2-core machine are noisy: read the medians and the ratios against the baseline of the same run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.app_server, when run as a script

from tests.app_server import CHROMIUM, CHROMIUM_ARGS, REPO, VIEWPORT, _stop, free_port  # noqa: E402

PAGES = ["train", "latent", "traverse", "interpolate", "generate", "restore", "anomalies", "lessons", "playground",
         "factors"]
ONE_LINE_APP = 'import streamlit as st\nst.write("hello")\n'
QUIET_MS = 300
TIMEOUT_MS = 180_000

# Like tests/app_server.py's _SETTLED_JS, plus: no skeleton or spinner, every image loaded. Records (Date.now()) when
# the quiet stretch began, so the time reported does not include the 300 ms of waiting for it to last.
_SETTLED_JS = """([quietMs]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const imagesLoaded = Array.from(document.images).every(img => img.complete && img.naturalWidth > 0);
  const busy = !app || app.getAttribute('data-test-connection-state') !== 'CONNECTED'
    || app.getAttribute('data-test-script-state') !== 'notRunning'
    || document.querySelector('[data-testid="stStatusWidget"]')
    || document.querySelector('[data-testid="stSkeleton"]')
    || document.querySelector('[data-testid="stSpinner"]')
    || document.querySelector('[data-stale="true"]')
    || !document.querySelector('[data-testid="stMainBlockContainer"] [data-testid="stElementContainer"]')
    || !imagesLoaded;
  if (busy) { window.__quietSince = undefined; return false; }
  if (window.__quietSince === undefined) window.__quietSince = Date.now();
  return Date.now() - window.__quietSince >= quietMs;
}"""


def _start(script: Path, cwd: Path, home: Path, warmup: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "AELAB_HOME": str(home / "models"), "AELAB_DATA_DIR": str(home / "data"),
           "PYTHONUNBUFFERED": "1"}
    env.pop("AELAB_UMAP_WARMUP", None)
    if warmup != "default":  # else the app's own default, as a user gets it
        env["AELAB_UMAP_WARMUP"] = warmup
    log = open(home / f"{script.stem}-{port}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
                             "--server.port", str(port), "--browser.gatherUsageStats", "false",
                             "--server.fileWatcherType", "none"],
                            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    return proc, f"http://127.0.0.1:{port}"


def _wait_health(base: str, proc: subprocess.Popen, timeout_s: float = 90) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if urllib.request.urlopen(base + "/_stcore/health", timeout=2).read() == b"ok":
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("no health answer")


def _settled_at(page) -> float:
    """Wait until the page is settled; return the epoch seconds when its quiet stretch began."""
    page.evaluate("() => { window.__quietSince = undefined; }")
    page.wait_for_function(_SETTLED_JS, arg=[QUIET_MS], timeout=TIMEOUT_MS, polling=25)
    return page.evaluate("() => window.__quietSince") / 1000


def export_tree(ref: str, folder: Path) -> Path:
    """The repository's files at commit ref, in a folder of their own (git archive: no checkout, no worktree)."""
    tree = folder / f"tree-{ref}"
    tree.mkdir()
    archive = subprocess.run(["git", "archive", "--format=tar", ref], cwd=REPO, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def cold_start(browser, script: Path, cwd: Path, home: Path, warmup: str, path: str = ""):
    """(seconds from process start to the settled page, the page, the server process, base URL)."""
    started = time.time()
    proc, base = _start(script, cwd, home, warmup)
    _wait_health(base, proc)
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{base}/{path}")
    return _settled_at(page) - started, page, proc, base


def first_visit(page, stem: str) -> float:
    """Click the page's link in the sidebar (the session is kept, as a user's is) and time it to settled."""
    link = page.locator(f'[data-testid="stSidebarNav"] a[href$="/{stem}"]')
    page.evaluate("() => { window.__quietSince = undefined; }")
    clicked = time.time()
    link.click()
    page.wait_for_timeout(100)  # the click's rerun reaches the server before the page shows it as running
    return _settled_at(page) - clicked


def train_library_model(home: Path, name: str = "fresh") -> None:
    """A model trained a minute ago: a short CLI training into the bench server's library."""
    env = {**os.environ, "AELAB_HOME": str(home / "models"), "AELAB_DATA_DIR": str(home / "data")}
    subprocess.run([sys.executable, "-m", "aelab", "train", "--variant", "ae", "--epochs", "3",
                    "--out", str(home / "models" / name), "--overwrite"], cwd=REPO, env=env, check=True,
                   capture_output=True)


def timings(args) -> None:
    from playwright.sync_api import sync_playwright

    pages = PAGES if args.pages == "all" else [p for p in args.pages.split(",") if p]
    rows: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        folder = Path(folder)
        (folder / "oneline").mkdir()
        one_line = folder / "oneline" / "hello.py"
        one_line.write_text(ONE_LINE_APP)
        before = export_tree(args.baseline, folder) if args.baseline else None
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for round_ in range(args.rounds):
                home = folder / f"home{round_}"
                (home / "models").mkdir(parents=True)
                seconds, page, proc, _ = cold_start(browser, one_line, one_line.parent, home, "0")
                _stop(proc)
                page.close()
                rows.setdefault("one-line app", []).append(seconds)
                if args.fresh_model:
                    train_library_model(home)
                # the app as it was first (on its own empty library), so the current one's page stays open for the
                # fresh-model visit below
                for repo, prefix in (*([(before, f"{args.baseline}: ")] if before is not None else []), (REPO, "")):
                    library = home / "before" if prefix else home
                    (library / "models").mkdir(parents=True, exist_ok=True)
                    seconds, page, proc, base = cold_start(browser, repo / "app.py", repo, library, args.warmup)
                    rows.setdefault(f"{prefix}home (cold)", []).append(seconds)
                    try:
                        for stem in pages:
                            page.wait_for_timeout(args.pause * 1000)  # reading the page before clicking on
                            rows.setdefault(f"{prefix}{stem}", []).append(first_visit(page, stem))
                    finally:
                        if prefix:
                            page.close()
                            _stop(proc)
                try:
                    if args.fresh_model:
                        page.goto(f"{base}/latent?model=library/fresh")
                        started = time.time()
                        rows.setdefault("latent, fresh model (new tab)", []).append(_settled_at(page) - started)
                finally:
                    page.close()
                    _stop(proc)
                print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in rows.items()), flush=True)
        finally:
            browser.close()
    baseline = statistics.median(rows["one-line app"])
    print(f"\nmedian of {args.rounds} fresh servers (seconds; AELAB_UMAP_WARMUP {args.warmup}; {args.pause:g} s on "
          "each page before the next click):")
    for name, values in rows.items():
        median = statistics.median(values)
        ratio = name.endswith(("home (cold)", "one-line app"))
        extra = f"   {median / baseline:.2f}x the one-line app" if ratio else ""
        print(f"  {name:32s} {median:6.2f}   [{', '.join(f'{v:.2f}' for v in values)}]{extra}")


# ------------------------------------------------------------------------------------------------- import profile
def _page_modules() -> list[str]:
    """The module-level imports of app.py and pages/*.py (ui.* and aelab.*), in file order."""
    sys.path.insert(0, str(REPO))
    from tests.import_graph import imports_of

    modules: list[str] = []
    for path in [REPO / "app.py", *[REPO / "pages" / f"{p}.py" for p in ["home", *PAGES]]]:
        for ref in imports_of(path, path.stem):
            if ref.module_level and ref.module.split(".")[0] in ("ui", "aelab") and ref.module not in modules:
                modules.append(ref.module)
    return modules


HEAVY = ("torch", "umap", "numba", "sklearn", "cv2", "scipy", "pynndescent", "plotly", "streamlit", "PIL", "pandas",
         "numpy", "onnx", "onnxruntime", "skimage")


def import_profile(args) -> None:
    modules = ["streamlit", *_page_modules()] if args.modules == "pages" else args.modules.split(",")
    # A component that needs a running server fails to import outside one: skip it, keep timing the rest.
    code = f"for m in {modules!r}:\n    try: __import__(m)\n    except Exception: pass"
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=REPO, capture_output=True,
                            text=True, env={**os.environ, "AELAB_UMAP_WARMUP": "0"})
    if result.returncode:
        print(result.stderr[-3000:])
        raise SystemExit(1)
    cumulative: dict[str, int] = {}
    own: dict[str, int] = {}  # first-party modules' own (self) time
    total = 0
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_part, cum_us, raw_name = line.split("|")  # "import time: self | cumulative | <indent>name"
        depth = (len(raw_name) - len(raw_name.lstrip()) - 1) // 2
        name = raw_name.strip()
        if depth == 0:
            total += int(cum_us)
        top = name.split(".")[0]
        if top in ("ui", "aelab"):
            own[name] = int(self_part.split(":")[1])
        if name == top:  # a top-level package's cumulative time, counted where it is first imported
            cumulative.setdefault(top, int(cum_us))
    print(f"importing {len(modules)} modules (streamlit + what app.py and pages/ import at module level): "
          f"{total / 1e6:.2f} s in all")
    print("heavy packages loaded (cumulative seconds where first imported; nested ones count inside their parent):")
    for name in HEAVY:
        if name in cumulative:
            print(f"  {name:12s} {cumulative[name] / 1e6:6.2f}")
    absent = [name for name in HEAVY if name not in cumulative]
    print(f"  not imported: {', '.join(absent) or '-'}")
    slowest = sorted(own.items(), key=lambda item: -item[1])[:8]
    print("slowest ui/aelab modules (own time, s): " + ", ".join(f"{n} {t / 1e6:.2f}" for n, t in slowest))


# ------------------------------------------------------------------------------------------------------ idle CPU
def idle_cpu(args) -> None:
    """CPU seconds (user + system, the server and its children) of a started server nobody connects to."""
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        (home / "models").mkdir()
        proc, base = _start(REPO / "app.py", REPO, home, args.warmup)
        try:
            _wait_health(base, proc)
            started = time.time()
            if args.visit:  # one visitor opens these pages (e.g. home,latent), then leaves
                _visit_once(base, args.visit.split(","))
            samples = []
            while time.time() - started < args.seconds:
                time.sleep(min(10.0, args.seconds))
                samples.append((time.time() - started, _cpu_seconds(proc.pid)))
                print(f"  {samples[-1][0]:5.0f} s: {samples[-1][1]:7.1f} CPU s", flush=True)
        finally:
            _stop(proc)
    who = f"one visit to {args.visit} at the start" if args.visit else "nobody visits"
    print(f"CPU seconds used by the server ({who}) in its first {args.seconds:.0f} s "
          f"(AELAB_UMAP_WARMUP {args.warmup}): {samples[-1][1]:.1f}")


def _visit_once(base: str, stems: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(base)
        _settled_at(page)
        for stem in stems:
            if stem and stem != "home":
                first_visit(page, stem)
        browser.close()


def _cpu_seconds(pid: int) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return (utime + stime + cutime + cstime) / ticks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="timings", choices=["timings", "imports", "idle-cpu"])
    parser.add_argument("--rounds", type=int, default=3, help="fresh servers per app (the median is reported)")
    parser.add_argument("--pages", default="all", help="comma-separated page file stems, or all")
    parser.add_argument("--warmup", default="default", choices=["default", "0", "1"],
                        help="AELAB_UMAP_WARMUP for the app's servers (default: unset, the app's default)")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds spent on each page before clicking the next (0: at once, as soon as settled; "
                             "a reader takes a few, which the browser uses to load Plotly's code behind Home)")
    parser.add_argument("--baseline", default="",
                        help="git commit whose app is also timed in each round (Home and the pages), before and after")
    parser.add_argument("--fresh-model", action="store_true",
                        help="also time the Latent page of a model trained just before (3 epochs, CLI)")
    parser.add_argument("--modules", default="pages", help="imports mode: 'pages', or comma-separated modules")
    parser.add_argument("--seconds", type=float, default=300.0, help="idle-cpu mode: how long to watch")
    parser.add_argument("--visit", default="", help="idle-cpu mode: pages one visitor opens first (e.g. home,latent)")
    args = parser.parse_args()
    {"timings": timings, "imports": import_profile, "idle-cpu": idle_cpu}[args.mode](args)


if __name__ == "__main__":
    main()
