"""Take the README's screenshots: start the app, open each page in headless Chromium, save docs/screenshots/*.png.

    .venv/bin/python -m scripts.screenshots [--pages home,train,...]
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.app_server import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, running_app, wait_idle

REPO = Path(__file__).resolve().parents[1]

OUT = REPO / "docs" / "screenshots"
# page stem -> query string that shows it at its most telling
PAGES = {
    "home": "", "train": "", "latent": "model=pretrained%2Fvae-2d", "traverse": "model=pretrained%2Fvae",
    "interpolate": "model=pretrained%2Fvae", "generate": "model=pretrained%2Fvae", "restore": "",
    "anomalies": "", "lessons": "model=pretrained%2Flinear_ae",
    "factors": "data=shapes&model=pretrained%2Fshapes-beta-vae-16", "applications": "",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", default=",".join(PAGES))
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home, running_app(Path(home)) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        for stem in args.pages.split(","):
            query = PAGES.get(stem, "")
            page.goto(f"{base}/{'' if stem == 'home' else stem}{'?' + query if query else ''}")
            page.wait_for_selector('[data-testid="stSidebar"]', timeout=90_000)
            wait_idle(page, timeout=120_000, quiet_ms=1500)  # and let the charts finish drawing
            page.wait_for_function("() => !document.querySelector('[data-testid=\"stSpinner\"]')", timeout=120_000)
            page.screenshot(path=str(OUT / f"{stem}.png"))
            print(f"saved {OUT / (stem + '.png')}")
        browser.close()


if __name__ == "__main__":
    main()
