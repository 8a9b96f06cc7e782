"""Page views in a real browser (ui/common/view_state.py): a view set on any page comes back after two other pages
opened through the menu (its widgets and its main picture), Back and Forward step between page visits, and a copied
address reproduces a whole view in a fresh browser: a drawn mask, a triangle point, a lasso selection and a drawn
digit included. Every link these tests see stays under 2,000 characters. Also two bugs of the same family, seen only
in a browser: a drawn mask reset "Test images scored", and a drawn digit cleared a box or lasso selection."""
from __future__ import annotations

import io
import time
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from PIL import Image

from tests.e2e.conftest import choose_option, open_page, wait_idle
from tests.e2e.live import MAP_SURFACE, lasso_map, map_frame

pytestmark = pytest.mark.e2e

MAIN_PICTURE = ".st-key-main_picture"
MAX_LINK = 2000


def params(page) -> dict[str, str]:
    assert len(page.url) < MAX_LINK, len(page.url)
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def menu(page, title: str) -> None:
    """Another page through the sidebar's navigation (the session and its views stay), once it has opened."""
    link = page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True)
    target = urlparse(link.get_attribute("href")).path
    link.click()
    page.wait_for_function("(path) => location.pathname === path", arg=target, timeout=60_000)
    wait_idle(page)


def picture(page, tries: int = 20) -> np.ndarray:
    """The page's main picture as pixels (grey), once everything in it has loaded and it has stopped changing (a live
    decoder draws its first frame a moment after the page settles)."""
    box = page.locator(MAIN_PICTURE).first
    box.scroll_into_view_if_needed()
    page.wait_for_function("(s) => [...document.querySelectorAll(s + ' img')].every(i => i.complete)",
                           arg=MAIN_PICTURE, timeout=30_000)
    wait_idle(page)
    shot = None
    for _ in range(tries):
        page.wait_for_timeout(250)  # (between two looks at it: the condition is that they agree)
        before, shot = shot, np.asarray(Image.open(io.BytesIO(box.screenshot(animations="disabled"))).convert("L"),
                                        np.float32)
        if before is not None and same_picture(before, shot):
            return shot
    return shot


def becomes(page, expected: np.ndarray, timeout_s: float = 90) -> bool:
    """Whether the main picture comes to look like `expected` within timeout_s (a condition, polled)."""
    box = page.locator(MAIN_PICTURE).first
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = np.asarray(Image.open(io.BytesIO(box.screenshot(animations="disabled"))).convert("L"), np.float32)
        if same_picture(expected, now):
            return True
        page.wait_for_timeout(500)
    return False


def same_picture(before: np.ndarray, after: np.ndarray) -> bool:
    """Equal up to anti-aliasing: same size, and under 1% of pixels differ by more than a few grey levels."""
    return before.shape == after.shape and float((np.abs(before - after) > 8).mean()) < 0.01


WIDGETS_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid]')]
  .filter(e => ['stSlider', 'stSelectbox', 'stNumberInput', 'stTextInput', 'stRadio', 'stCheckbox',
                'stMultiSelect', 'stButtonGroup'].includes(e.dataset.testid))
  .map(e => {
    const inputs = [...e.querySelectorAll('input, textarea')];
    const ticked = inputs.filter(i => ['radio', 'checkbox'].includes(i.type) && i.checked)
      .map(i => (i.closest('label') || {}).innerText || 'on');
    const typed = inputs.filter(i => !['radio', 'checkbox'].includes(i.type)).map(i => i.value);
    const pressed = [...e.querySelectorAll('[aria-checked="true"], [aria-pressed="true"]')].map(b => b.innerText);
    const shown = ['stSelectbox', 'stMultiSelect'].includes(e.dataset.testid) ? e.innerText : '';
    return e.dataset.testid + ' ' + JSON.stringify([ticked, typed, pressed, shown]);
  })"""


def widget_values(page) -> list[str]:
    """Every widget of the page's main area with what it shows (ticked, typed, pressed, chosen), in page order."""
    return page.evaluate(WIDGETS_JS)


def slider_value(page, label: str) -> str:
    return page.get_by_test_id("stSlider").filter(has_text=label).get_by_role("slider").input_value()


def press_slider(page, label: str, key: str, times: int) -> None:
    """Move a slider by `times` key presses, one run each (presses faster than the runs can leave the server a step
    behind the thumb)."""
    thumb = page.get_by_test_id("stSlider").filter(has_text=label).get_by_role("slider")
    for _ in range(times):
        before = thumb.input_value()
        thumb.focus()
        thumb.press(key)
        page.wait_for_function("([label, before]) => { const s = [...document.querySelectorAll("
                               "'[data-testid=\"stSlider\"]')].find(e => e.innerText.includes(label));"
                               " return s && s.querySelector('input').value !== before; }", arg=[label, before])
        wait_idle(page)


# ------------------------------------------------------------------------------------------------ every page
def _set_latent(page):
    page.get_by_test_id("stRadio").get_by_text("UMAP", exact=True).click()
    page.get_by_text("UMAP precomputed", exact=False).wait_for(timeout=60_000)


def _set_train(page):
    choose_option(page, page.get_by_role("combobox", name="Variant"), "vae")
    page.get_by_role("textbox", name="Epochs").fill("7")
    page.get_by_role("textbox", name="Epochs").press("Enter")


def _set_generate(page):
    press_slider(page, "Grid side", "ArrowLeft", 3)


def _set_restore(page):
    choose_option(page, page.get_by_role("combobox", name="Corruption"), "Gaussian noise")


def _set_anomalies(page):
    press_slider(page, "Flag images above", "ArrowLeft", 4)


def _set_traverse(page):
    choose_option(page, page.get_by_test_id("stSelectbox").filter(has_text="Label").first, "3")


def _set_interpolate(page):
    choose_option(page, page.get_by_test_id("stSelectbox").filter(has_text="Label").nth(1), "0")


def _set_lessons(page):
    page.get_by_test_id("stButtonGroup").get_by_text("k-means = AE", exact=True).click()


def _set_applications(page):
    page.get_by_test_id("stRadio").get_by_text("Memorisation", exact=True).click()


def _set_playground(page):
    choose_option(page, page.get_by_role("combobox", name="Data", exact=True), "Circle", exact=False)


def _set_factors(page):
    page.get_by_role("spinbutton", name="beta").fill("12")
    page.get_by_role("spinbutton", name="beta").press("Enter")


# (URL path, its menu title, a link to open it with, how to change its view, the parameter that change writes)
PAGES = [
    ("train", "Train", "", _set_train, "epochs"),
    ("latent", "Latent space", "", _set_latent, "map"),
    ("traverse", "Traverse", "", _set_traverse, "start"),
    ("interpolate", "Interpolate", "", _set_interpolate, "b"),
    ("generate", "Generate", "", _set_generate, "side"),
    ("restore", "Denoise and inpaint", "", _set_restore, "kind"),
    ("anomalies", "Anomalies", "", _set_anomalies, "percentile"),
    ("applications", "Applications", "", _set_applications, "section"),
    ("lessons", "Lessons", "", _set_lessons, "section"),
    ("playground", "Playground", "", _set_playground, "set"),
    ("factors", "Known factors", "data=shapes&model=pretrained%2Fshapes-beta-vae-16", _set_factors, "beta"),
]


@pytest.mark.parametrize("path, title, query, change, written", PAGES, ids=[p[0] for p in PAGES])
def test_a_view_comes_back_after_two_other_pages_opened_through_the_menu(page, app_server, path, title, query,
                                                                         change, written):
    open_page(page, app_server, path, query)
    change(page)
    page.wait_for_function("(name) => new URLSearchParams(location.search).has(name)", arg=written, timeout=60_000)
    wait_idle(page)
    view = params(page)
    widgets = widget_values(page)
    assert len(widgets) >= 1
    shown = picture(page) if page.locator(MAIN_PICTURE).count() else None
    for other in ("Anomalies" if path != "anomalies" else "Generate", "Home"):
        menu(page, other)
        assert written not in params(page)  # another page's address
    menu(page, title)
    assert params(page) == view  # the address says the same view
    assert widget_values(page) == widgets
    if shown is not None:  # the same picture, once it is drawn (a live decoder's first frame comes after the page)
        assert becomes(page, shown)


def test_back_and_forward_step_between_two_page_visits(page, app_server):
    open_page(page, app_server, "interpolate")
    press_slider(page, "Steps (frames per row", "ArrowLeft", 4)
    assert params(page)["steps"] == "5"
    press_slider(page, "Steps (frames per row", "ArrowRight", 1)  # one more step: still the same history entry
    menu(page, "Generate")
    press_slider(page, "Grid side", "ArrowLeft", 2)
    assert params(page)["side"] == "6" and "steps" not in params(page)
    page.go_back()
    page.wait_for_url("**/interpolate?**")
    wait_idle(page)
    assert params(page)["steps"] == "6" and slider_value(page, "Steps (frames per row") == "6"
    page.go_forward()
    page.wait_for_url("**/generate?**")
    wait_idle(page)
    assert params(page)["side"] == "6" and slider_value(page, "Grid side") == "6"


# ------------------------------------------------------------------------------------------------ copied addresses
def draw(page, canvas, points: list[tuple[float, float]]) -> None:
    """A stroke through points given as fractions of the canvas (scrolled to the middle of the view first: at the
    view's top edge Streamlit's header would take the stroke's first points)."""
    canvas.evaluate("c => c.scrollIntoView({block: 'center'})")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + points[0][0] * box["width"], box["y"] + points[0][1] * box["height"])
    page.mouse.down()
    for fx, fy in points[1:]:
        for k in range(1, 6):  # small steps, as a hand moves
            page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"], steps=k)
    page.mouse.up()


def test_a_drawn_mask_keeps_the_images_scored_and_comes_back_from_the_address(page, app_server, browser):
    open_page(page, app_server, "restore")
    choose_option(page, page.get_by_role("combobox", name="Corruption"), "Drawn mask", exact=False)
    page.get_by_text("Draw on the canvas", exact=False).wait_for(timeout=30_000)
    draw(page, page.locator("canvas.upper-canvas").first, [(0.2, 0.3), (0.8, 0.3), (0.8, 0.6), (0.2, 0.6)])
    page.get_by_text("Means over 300 of 300", exact=False).wait_for(timeout=120_000)
    wait_idle(page)
    assert page.get_by_role("spinbutton", name="Test images scored").input_value() == "300"  # (it showed 10)
    view = params(page)
    assert view["kind"] == "user_mask" and view["mask"].startswith("28x28.1.") and "n" not in view

    fresh = browser.new_context(viewport=page.viewport_size).new_page()
    fresh.goto(page.url)
    fresh.get_by_text("Means over 300 of 300", exact=False).wait_for(timeout=120_000)
    wait_idle(fresh)
    assert params(fresh) == view
    assert fresh.get_by_text("Draw on the canvas", exact=False).count() == 0  # the mask came with the address
    assert fresh.get_by_text("damaged pixels", exact=True).count() >= 1


def test_a_triangle_point_comes_back_from_the_address(page, app_server, browser):
    open_page(page, app_server, "interpolate", "model=pretrained%2Fvae")
    box = page.locator(".st-key-interpolate_live_triangle_box")
    box.scroll_into_view_if_needed()
    frame = box.frame_locator("iframe")
    canvas = frame.locator("canvas").first
    canvas.wait_for(timeout=60_000)
    area = canvas.bounding_box()
    page.mouse.click(area["x"] + area["width"] * 0.3, area["y"] + area["height"] * 0.75)  # near B, bottom left
    page.wait_for_function("() => location.search.includes('w=')", timeout=60_000)
    wait_idle(page)
    said = page.get_by_text("Where you let go: w_A", exact=False).inner_text()
    view = params(page)
    fresh = browser.new_context(viewport=page.viewport_size).new_page()
    fresh.goto(page.url)
    fresh.get_by_text("Where you let go: w_A", exact=False).wait_for(timeout=120_000)
    wait_idle(fresh)
    assert params(fresh) == view and fresh.get_by_text("Where you let go: w_A", exact=False).inner_text() == said
    assert not said.startswith("Where you let go: w_A = 0.33, w_B = 0.33, w_C = 0.33")


def test_a_lasso_selection_survives_a_drawn_digit_and_both_come_back_from_the_address(page, app_server, browser):
    open_page(page, app_server, "latent")
    lasso_map(page, map_frame(page))  # on the WebGL map (its frame's Lasso button)
    summary = page.locator("p", has_text="points selected").first
    summary.wait_for(timeout=60_000)
    wait_idle(page)
    selected = summary.inner_text()

    # a seven on the canvas: the map gains a star, and the selection stays (it used to be cleared)
    draw(page, page.locator("canvas.upper-canvas").first, [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])
    page.get_by_text("Reconstruction error", exact=False).wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator("p", has_text="points selected").first.inner_text() == selected  # (it was cleared)
    view = params(page)
    assert view["digit"].startswith("28x28.4.") and "sel" in view

    fresh = browser.new_context(viewport=page.viewport_size).new_page()
    fresh.goto(page.url)
    fresh.get_by_text("Reconstruction error", exact=False).wait_for(timeout=120_000)
    fresh.locator("p", has_text="points selected").first.wait_for(timeout=60_000)
    wait_idle(fresh)
    assert fresh.locator("p", has_text="points selected").first.inner_text() == selected
    assert params(fresh) == view
    shown = map_frame(fresh).locator(MAP_SURFACE)  # the map in the fresh page draws the address's selection
    assert shown.evaluate("c => Number(c.dataset.selected)") == int(selected.split()[0])
