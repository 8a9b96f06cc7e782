"""Take the README's screenshots: start the app, open each page in headless Chromium, save docs/screenshots/*.png.

    .venv/bin/python scripts/screenshots.py [--pages home,train,...]
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"
# page stem -> query string that shows it at its most telling
PAGES = {
    "home": "", "train": "", "latent": "model=pretrained%2Fvae-2d", "traverse": "model=pretrained%2Fvae",
    "interpolate": "model=pretrained%2Fvae", "generate": "model=pretrained%2Fvae", "restore": "",
    "anomalies": "", "lessons": "model=pretrained%2Flinear_ae",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", default=",".join(PAGES))
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    port, home = free_port(), tempfile.mkdtemp()
    env = {**os.environ, "AELAB_HOME": home, "AELAB_UMAP_WARMUP": "0"}
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                               "--server.port", str(port), "--browser.gatherUsageStats", "false"],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("AELAB_CHROMIUM", "/usr/bin/chromium"),
                                        args=["--headless", "--no-sandbox", "--disable-gpu",
                                              "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for stem in args.pages.split(","):
                query = PAGES.get(stem, "")
                page.goto(f"{base}/{'' if stem == 'home' else stem}{'?' + query if query else ''}")
                page.wait_for_selector('[data-testid="stSidebar"]', timeout=90_000)
                page.wait_for_timeout(1500)
                page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
                                       " && !document.querySelector('[data-testid=\"stSpinner\"]')",
                                       timeout=120_000)
                page.wait_for_timeout(1500)
                page.screenshot(path=str(OUT / f"{stem}.png"))
                print(f"saved {OUT / (stem + '.png')}")
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)


if __name__ == "__main__":
    main()
