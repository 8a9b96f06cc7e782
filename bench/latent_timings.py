"""How fast the Latent Space page answers: the first UMAP after a fresh start, the PCA scatter, click-to-images.

Run from the repository root: .venv/bin/python -m bench.latent_timings [--skip-browser] [--skip-cold]

1. Fresh Python processes (each number is a new process, as after a server restart):
   - the shipped projection (a file read, what the page does for a pretrained model's default UMAP), for the 1000
     test codes and for a 5000-point file of the same format;
   - the baseline: a cold UMAP fit (numba compiles) for 1000 and 5000 codes, then a second, warm fit in the same
     process; and a fit after the tiny warm-up fit that the server runs in a background thread at start.
2. Chromium against a freshly started server (Playwright): time from opening /latent to the PCA map drawn, from
   choosing UMAP to the UMAP map drawn (shipped), from a click on a point to its images, from a stroke on the canvas
   to its reconstruction, and a non-default UMAP (computed) once the background warm-up has finished.
Timings on a shared 2-core machine are noisy: run twice and read the ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

FRESH_PROCESS = r"""
import json, sys, time
started = time.perf_counter()
import numpy as np, torch
torch.set_num_threads(1)
from aelab.data.sources import load_dataset
from aelab.analysis.latent import encode_dataset, project_2d
from aelab.analysis.maps import shipped_umap
from aelab.library.store import PRETRAINED_ROOT, load_model
task, n = sys.argv[1], int(sys.argv[2])
out = {}
if task == "shipped":
    t = time.perf_counter(); p = shipped_umap(sys.argv[3], "mnist-5k", n, 15, 0.1)
    out["read_s"] = time.perf_counter() - t; assert p is not None and len(p.coords) == n
else:
    d = load_dataset("mnist-5k"); model = load_model(PRETRAINED_ROOT / "ae").model
    z = encode_dataset(model, torch.cat([d.x_test, d.x_train])[:n]).numpy()
    if task == "warmup":
        from aelab.runtime.warmup import UMAP_STEPS, umap_step
        t = time.perf_counter()
        for step, task in UMAP_STEPS:  # what the server's warm-up thread runs, up to the step this size needs
            task()
            if step == umap_step(n): break
        out["warmup_s"] = time.perf_counter() - t
    t = time.perf_counter(); project_2d(z, "umap"); out["first_fit_s"] = time.perf_counter() - t
    t = time.perf_counter(); project_2d(z, "umap"); out["second_fit_s"] = time.perf_counter() - t
print(json.dumps(out))
"""


def fresh(task: str, n: int, *extra: str) -> dict:
    # `python -c` in the repository root imports aelab from this checkout
    result = subprocess.run([PYTHON, "-c", FRESH_PROCESS, task, str(n), *extra], cwd=REPO, capture_output=True,
                            text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def process_timings(skip_cold: bool) -> None:
    import numpy as np

    from aelab.analysis.maps import SHIPPED_UMAP_FILE
    from aelab.library.store import PRETRAINED_ROOT

    with tempfile.TemporaryDirectory() as folder:  # a 5000-point artefact of the shipped format
        (Path(folder) / "cache").mkdir()
        np.savez_compressed(Path(folder) / "cache" / SHIPPED_UMAP_FILE,
                            coords=np.random.default_rng(0).normal(size=(5000, 2)).astype(np.float32),
                            n_neighbors=np.int64(15), min_dist=np.float64(0.1), seed=np.int64(0),
                            dataset=np.str_("mnist-5k"), n_points=np.int64(5000))
        read_5000 = fresh("shipped", 5000, folder)["read_s"]
    read_1000 = fresh("shipped", 1000, str(PRETRAINED_ROOT / "ae"))["read_s"]
    print(f"shipped UMAP, fresh process: read 1000 points {read_1000 * 1000:.1f} ms, 5000 points "
          f"{read_5000 * 1000:.1f} ms")
    if skip_cold:
        return
    for n in (1000, 5000):
        cold = fresh("cold", n)
        warm = fresh("warmup", n)
        print(f"UMAP of {n} codes, fresh process: cold first fit {cold['first_fit_s']:.1f} s, second fit "
              f"{cold['second_fit_s']:.1f} s; after the {warm['warmup_s']:.1f} s background warm-up: first fit "
              f"{warm['first_fit_s']:.1f} s")
        print(f"   shipped read vs cold fit: {cold['first_fit_s'] / (read_5000 if n == 5000 else read_1000):,.0f}x "
              f"faster; warm-up makes the first fit {cold['first_fit_s'] / warm['first_fit_s']:.0f}x faster")


# ---------------------------------------------------------------------------------------------------- browser
def start_server(home: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "AELAB_HOME": str(home / "models"), "AELAB_DATA_DIR": str(home / "data")}
    proc = subprocess.Popen([PYTHON, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--browser.gatherUsageStats", "false",
                             "--server.fileWatcherType", "none"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if urllib.request.urlopen(base + "/_stcore/health", timeout=1).read() == b"ok":
                return proc, base
        except OSError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGTERM)
    raise RuntimeError("streamlit did not start")


def idle(page) -> None:
    page.wait_for_timeout(50)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)


def chart_has(page, condition: str, timeout: float = 120_000) -> None:
    page.wait_for_function("() => { const gd = document.querySelector('.st-key-scatter .js-plotly-plot');"
                           f" return gd && gd._fullLayout && ({condition}); }}", timeout=timeout)


def browser_timings() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as home, sync_playwright() as p:
        server_started = time.perf_counter()
        proc, base = start_server(Path(home))
        try:
            browser = p.chromium.launch(executable_path=os.environ.get("AELAB_CHROMIUM", "/usr/bin/chromium"),
                                        args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            t = time.perf_counter()
            page.goto(f"{base}/latent?model=pretrained/ae")
            chart_has(page, "gd._fullData.length >= 10 && gd._fullLayout.xaxis.title.text === 'PC 1'")
            pca = time.perf_counter() - t
            idle(page)
            print(f"fresh server: /latent opened to PCA map drawn {pca:.2f} s "
                  f"({time.perf_counter() - server_started:.1f} s after the server process started)")
            for _ in range(3):  # the same page opened again (a new session; server, imports and caches warm)
                t = time.perf_counter()
                page.goto(f"{base}/latent?model=pretrained/ae")
                chart_has(page, "gd._fullData.length >= 10 && gd._fullLayout.xaxis.title.text === 'PC 1'")
                reload = time.perf_counter() - t
                idle(page)
            print(f"/latent opened again (warm server): PCA map of 1000 points drawn in {reload:.2f} s")
            t = time.perf_counter()
            page.get_by_text("UMAP", exact=True).click()
            chart_has(page, "gd._fullLayout.xaxis.title.text === 'UMAP 1'")
            print(f"first UMAP after the fresh start (shipped projection): {time.perf_counter() - t:.2f} s "
                  f"(goal <= 3 s)")
            idle(page)
            page.get_by_text("PCA", exact=True).click()
            t = time.perf_counter()
            chart_has(page, "gd._fullLayout.xaxis.title.text === 'PC 1'")
            print(f"switch back to PCA (cached): {time.perf_counter() - t:.2f} s")
            idle(page)
            page.locator(".st-key-scatter .js-plotly-plot").first.scroll_into_view_if_needed()
            clicks, shown = [], ""
            for trace, i in ((1, 3), (2, 5), (4, 7), (6, 2), (8, 9)):
                at = page.evaluate("""([trace, i]) => {
                    const gd = document.querySelector('.st-key-scatter .js-plotly-plot');
                    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
                    const t = gd._fullData[trace];
                    return [r.left + xa.l2p(t.x[i]) + xa._offset, r.top + ya.l2p(t.y[i]) + ya._offset, t.customdata[i]];
                    }""", [trace, i])
                page.mouse.move(at[0], at[1])
                page.locator(".st-key-scatter .hoverlayer").get_by_text(f"index {at[2]}").first.wait_for()
                t = time.perf_counter()
                page.mouse.click(at[0], at[1])
                # (a click on overlapping points may pick a neighbour: wait for whichever point is shown)
                page.wait_for_function("(previous) => { const p = Array.from(document.querySelectorAll('p'))"
                                       ".find(e => e.innerText.startsWith('Point #'));"
                                       " return p && p.innerText !== previous; }", arg=shown, timeout=60_000)
                shown = page.locator("p", has_text="Point #").first.inner_text()
                page.get_by_test_id("stImageCaption").get_by_text("reconstruction", exact=True).first.wait_for()
                clicks.append(time.perf_counter() - t)
                idle(page)
                page.wait_for_timeout(1500)  # human pace: a click while the last rerun still finishes can be lost
            clicks.sort()
            print(f"click on a point to its images: median {clicks[len(clicks) // 2]:.2f} s "
                  f"(min {clicks[0]:.2f}, max {clicks[-1]:.2f}, {len(clicks)} clicks)")
            canvas = page.locator("canvas.upper-canvas")
            box = canvas.bounding_box()
            page.mouse.move(box["x"] + 60, box["y"] + 50)
            page.mouse.down()
            for k in range(1, 26):
                page.mouse.move(box["x"] + 60 + 5 * k, box["y"] + 50 + 6 * k)
            t = time.perf_counter()
            page.mouse.up()
            page.get_by_test_id("stImageCaption").get_by_text("its reconstruction", exact=True).wait_for(timeout=60_000)
            print(f"stroke on the canvas to its reconstruction: {time.perf_counter() - t:.2f} s")
            page.get_by_text("UMAP", exact=True).click()
            idle(page)
            status = page.locator("p", has_text="UMAP is").first
            while "is compiled" not in status.inner_text():  # let the background warm-up finish, as for a reader
                page.wait_for_timeout(3000)
                page.get_by_text("PCA", exact=True).click()  # a rerun refreshes the warm-up's status line
                idle(page)
                page.get_by_text("UMAP", exact=True).click()
                idle(page)
            print(status.inner_text())
            chart_has(page, "gd._fullLayout.xaxis.title.text === 'UMAP 1'")
            before = page.evaluate("() => document.querySelector('.st-key-scatter .js-plotly-plot')._fullData[1].x[0]")
            slider = page.get_by_role("slider", name="n_neighbors")
            slider.focus()
            t = time.perf_counter()
            slider.press("ArrowLeft")  # 15 -> 14: not shipped, a real fit; done when the points have moved
            page.wait_for_selector('[data-testid="stStatusWidget"]', timeout=60_000)
            print(f"   (the rerun started {time.perf_counter() - t:.2f} s after the key press)")
            chart_has(page, f"gd._fullData[1].x[0] !== {before}")
            print(f"UMAP with n_neighbors=14 (computed, warm-up done, {time.perf_counter() - server_started:.0f} s "
                  f"after start): {time.perf_counter() - t:.2f} s")
            browser.close()
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--skip-cold", action="store_true", help="skip the cold UMAP fits (~2 minutes)")
    args = parser.parse_args()
    process_timings(args.skip_cold)
    if not args.skip_browser:
        browser_timings()


if __name__ == "__main__":
    main()
