"""Presenter mode and links in Chromium at a projector's 1280x720: every page opened with ?present=1 has no sidebar,
its main picture (the container ui.common.present.main_picture marks, holding the picture and nothing else) starts in
the top half of the screen and shows at least 360 px of itself without scrolling, nothing on the page lies under the
Presenter switch, and the top bar shows every page by its full name (one click away, no "more" menu); a view set in
one browser comes back in a fresh one opened on the copied URL; a link with an out-of-range image index says so and
shows the default image."""
from __future__ import annotations

import re

import pytest

from tests.app_server import PRESENTER_JS
from tests.e2e.conftest import choose_option, wait_idle

pytestmark = pytest.mark.e2e

PROJECTOR = {"width": 1280, "height": 720}
HALF = PROJECTOR["height"] // 2
PAGE_NAMES = ["Home", "Train", "Latent space", "Traverse", "Interpolate", "Generate", "Denoise and inpaint",
              "Anomalies", "Applications", "Lessons", "Playground", "Known factors"]  # app.py's, in its order


@pytest.fixture(scope="module")
def projector(browser):
    context = browser.new_context(viewport=PROJECTOR)
    yield context.new_page()
    context.close()


def settle(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    page.wait_for_selector('[data-testid="stMain"]', timeout=60_000)
    wait_idle(page, timeout=120_000)
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()


# Train has no picture before a training: it is checked for the sidebar, the switch and the top bar only. Known
# factors opens on the default dataset (it shows the shapes by itself), Lessons on its default section and on "rate".
PAGES = ["", "train", "latent", "traverse", "interpolate", "generate", "restore", "anomalies", "applications",
         "lessons", "lessons?section=rate", "playground", "factors"]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.replace("?section=", "-") or "home")
def test_presenter_mode_puts_the_main_picture_first_and_nothing_under_the_switch(projector, app_server, path):
    joiner = "&" if "?" in path else "?"
    settle(projector, f"{app_server}/{path}{joiner}present=1")
    sidebar = projector.locator('[data-testid="stSidebar"]')
    assert sidebar.count() == 0 or not sidebar.is_visible()
    if path != "train":
        projector.wait_for_function(f"() => ({PRESENTER_JS})().bottom > ({PRESENTER_JS})().top", timeout=60_000)
        wait_idle(projector)  # (a component's first value reruns the page once more)
        # A live component grows to its full height once the browser's decoder is up (it shows the server's frame
        # first): wait for the picture to be whole, then check it (a picture that never fits still fails below).
        fits = (f"() => {{ const s = ({PRESENTER_JS})(); "
                f"return Math.min(s.bottom, {PROJECTOR['height']}) - Math.max(s.top, 0) >= 360; }}")
        try:  # (a loaded machine can take a minute to compile the runtime: measured 30 s too short under load)
            projector.wait_for_function(fits, timeout=120_000)
        except Exception:
            pass
    shown = projector.evaluate(PRESENTER_JS)
    assert shown["under"] == [], shown["under"]  # the switch covers nothing
    assert shown["links"] == PAGE_NAMES and not shown["more"], shown["links"]  # every page, by its full name
    if path == "train":
        return
    visible = min(shown["bottom"], PROJECTOR["height"]) - max(shown["top"], 0)
    assert shown["scrollY"] == 0 and 0 <= shown["top"] < HALF, (path, shown)
    assert visible >= 360, (path, shown)


PATHS = ["/", "/train", "/latent", "/traverse", "/interpolate", "/generate", "/restore", "/anomalies",
         "/applications", "/lessons", "/playground", "/factors"]  # PAGE_NAMES' URLs, in the same order


def test_the_top_bar_reaches_every_page_in_one_click(projector, app_server):
    """From Home, one click on each name in the top bar opens that page, still presenting (the bar is the same on
    every page, so each page is one click from any other). A name folded into a menu, cut off or covered would not
    take the click."""
    settle(projector, f"{app_server}/?present=1")
    for name, path in [*zip(PAGE_NAMES[1:], PATHS[1:]), (PAGE_NAMES[0], PATHS[0])]:
        projector.locator('[data-testid="stTopNav"]').get_by_role("link", name=name, exact=True).click(
            timeout=10_000, no_wait_after=True)
        projector.wait_for_function("(path) => location.pathname === path", arg=path, timeout=60_000)
        wait_idle(projector, timeout=120_000)
        assert "present=1" in projector.url, (name, projector.url)
        errors = projector.locator('[data-testid="stException"]')
        assert errors.count() == 0, (name, errors.first.inner_text() if errors.count() else "")


def _traverse(page):
    number = page.locator(".st-key-traverse_start_pos input")
    number.fill("7")
    number.press("Enter")
    wait_idle(page)
    return page.get_by_text(re.compile(r"test #\d+ \(\w+\) and its reconstruction")).inner_text()


def _interpolate(page):
    slider = page.locator(".st-key-interpolate_steps").get_by_role("slider")
    slider.focus()
    slider.press("ArrowRight")
    slider.press("ArrowRight")
    wait_idle(page)
    return slider.input_value()


def _restore(page):
    choose_option(page, page.locator(".st-key-restore_corruption"), "Gaussian noise", exact=False)
    shown = page.locator(".st-key-restore_corruption input").input_value()  # the combobox shows its value there
    assert shown == "Gaussian noise"
    return shown


def _lessons(page):
    page.get_by_role("radio", name="k-means = AE", exact=True).click()  # the segmented control's options
    page.get_by_text("k-means and soft k-means are autoencoders", exact=True).first.wait_for(timeout=60_000)
    wait_idle(page)
    return "k-means and soft k-means are autoencoders"


def _traverse_again(page):
    return page.get_by_text(re.compile(r"test #\d+ \(\w+\) and its reconstruction")).inner_text()


def _interpolate_again(page):
    return page.locator(".st-key-interpolate_steps").get_by_role("slider").input_value()


def _restore_again(page):
    return page.locator(".st-key-restore_corruption input").input_value()


def _lessons_again(page):
    page.get_by_text("k-means and soft k-means are autoencoders", exact=True).first.wait_for(timeout=60_000)
    return "k-means and soft k-means are autoencoders"


VIEWS = {"traverse": (_traverse, _traverse_again, "start=test%3A"), "interpolate": (_interpolate,
         _interpolate_again, "steps=11"), "restore": (_restore, _restore_again, "kind=gaussian"),
         "lessons": (_lessons, _lessons_again, "section=kmeans")}


@pytest.mark.parametrize("path", list(VIEWS))
def test_a_view_set_in_one_browser_opens_the_same_in_a_fresh_one(browser, app_server, path):
    change, read, in_url = VIEWS[path]
    first = browser.new_context(viewport=PROJECTOR)
    page = first.new_page()
    settle(page, f"{app_server}/{path}")
    shown = change(page)
    page.wait_for_function("(part) => location.href.includes(part)", arg=in_url, timeout=60_000)  # (slow under load)
    url = page.url
    first.close()

    fresh = browser.new_context(viewport=PROJECTOR)
    page = fresh.new_page()
    settle(page, url)
    assert read(page) == shown, url
    fresh.close()


def test_an_out_of_range_image_in_a_link_says_so_and_shows_the_default(projector, app_server):
    settle(projector, f"{app_server}/traverse?start=test%3A99999")
    said = "The link's start=test:99999 is not a test image index (0 to 999); showing test #0."
    projector.get_by_text(said).wait_for(timeout=10_000)
    default_view = projector.get_by_text(re.compile(r"test #0 \(\w+\) and its reconstruction"))
    default_view.first.wait_for(timeout=30_000)  # drawn just after the message, later under load
    assert default_view.count() == 1
    assert "start=" not in projector.url  # the default image: nothing to keep in the link
