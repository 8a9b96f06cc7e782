"""The Latent page's WebGL map in Chromium (software WebGL, SwiftShader): the hover panel decodes the map point under
the cursor in the page at (nearly) every step across empty map, on PCA (pretrained/vae: code mean + the PCA
inverse), on raw 2-D (pretrained/vae-2d: the point is the code) and on UMAP (pretrained/vae: the learned inverse
chained with the decoder); a lasso on the map fills the page's selection panels."""
from __future__ import annotations

import pytest

from tests.app_server import running_app
from tests.e2e.conftest import open_page, wait_idle
from tests.e2e.live import (
    MAP_SURFACE,
    drag_frames,
    hover_across,
    lasso_map,
    live_frame,
    map_frame,
    wait_drawn,
    write_big_mnist,
)

pytestmark = pytest.mark.e2e

SURFACE = MAP_SURFACE
DECODED = "[data-testid='hover-decoded']"
MOVES, MIN_CHANGED = 30, 27
EMPTY_ROWS = (0.04, 0.96, 0.02, 0.98)  # fractions of the map's height from its top


def open_map(page, app_server: str, model: str, query: str = ""):
    open_page(page, app_server, "latent", f"model=pretrained%2F{model}{query}")
    return map_frame(page)


@pytest.mark.parametrize("model, query, says", [
    ("vae", "", "mean + x PC1 + y PC2"),
    ("vae-2d", "", "decodes the hovered code"),
    ("vae", "&map=umap", "a small network learned from this map"),  # the learned inverse chained with the decoder
])
def test_hovering_empty_map_decodes_under_the_cursor(page, app_server, model, query, says):
    frame = open_map(page, app_server, model, query)
    page.get_by_text(says, exact=False).first.wait_for(timeout=30_000)
    # the data's square sits in the middle of the map: its top and bottom margins are empty but for outliers,
    # so the first row along which no step is over a point is the empty region hovered
    for row in EMPTY_ROWS:
        changed, over = hover_across(page, frame, row, MOVES)
        if over == 0:
            break
    assert over == 0, f"no row of {EMPTY_ROWS} was free of points"
    assert changed >= MIN_CHANGED, f"the decoded picture changed at {changed} of {MOVES} steps"
    assert frame.evaluate("() => window.aelabLive.frames") >= MOVES  # decoded in the page, not by the server
    assert not frame.locator(DECODED).evaluate("c => c.closest('.hover-panel').hidden")


def test_a_lasso_on_the_map_fills_the_selection_panels(page, app_server):
    frame = open_map(page, app_server, "ae")
    lasso_map(page, frame)
    summary = page.locator("p", has_text="points selected").first
    summary.wait_for(timeout=30_000)
    wait_idle(page)
    total = int(summary.inner_text().split()[0])
    assert total >= 20, summary.inner_text()
    assert "sel=" in page.url  # the selection is the view's: it travels in the link
    assert page.get_by_test_id("stImageCaption").get_by_text("originals", exact=True).count() >= 1
    assert page.locator('[data-testid="stException"]').count() == 0


THUMBS = "[data-testid='map-thumbnails']"
NEAREST = "[data-testid='hover-nearest']"


def zoom_until_images(page, frame, most_steps: int = 40) -> int:
    """Wheel-zoom at the map's centre, each step waiting for the camera to have moved, until the images are the
    marks (the thumbnail layer drew some). Returns how many it drew."""
    box = frame.locator(SURFACE).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    spacing = f"Number(document.querySelector(\"{THUMBS}\").dataset.spacingPx ?? 0)"
    for _ in range(most_steps):
        drawn = int(frame.locator(THUMBS).get_attribute("data-drawn"))
        if drawn:
            return drawn
        before = frame.evaluate(f"() => {spacing}")
        page.mouse.wheel(0, -240)
        frame.wait_for_function(f"() => {spacing} > {before}", timeout=10_000)
    return int(frame.locator(THUMBS).get_attribute("data-drawn"))


def test_zoomed_in_the_images_are_the_marks_and_the_hover_shows_the_nearest_image(page, app_server):
    frame = open_map(page, app_server, "ae")
    frame.wait_for_function("() => Object.keys(window.aelabLive.blobFrom ?? {}).length > 0", timeout=60_000)
    assert frame.locator(THUMBS).get_attribute("data-drawn") == "0"  # the whole map: dots
    drawn = zoom_until_images(page, frame)
    assert 5 <= drawn <= 3000, drawn  # images over the points in view, not over the whole map
    # over a point, the nearest real image beside the decoded one is that point's image
    box = frame.locator(SURFACE).bounding_box()
    found = None
    for k in range(60):  # across the middle until the cursor is over a point (data-over: its index)
        page.mouse.move(box["x"] + box["width"] * (0.2 + 0.6 * k / 60), box["y"] + box["height"] / 2)
        wait_drawn(frame)
        found = frame.locator(SURFACE).get_attribute("data-over")
        if found is not None:
            break
    assert found is not None, "no point under the cursor along the middle of the zoomed map"
    frame.wait_for_function(f"() => document.querySelector(\"{NEAREST}\").dataset.index === '{found}'",
                            timeout=10_000)
    assert frame.locator(NEAREST).is_visible()


def test_find_an_image_by_index_selects_it_and_centres_the_map_on_it(page, app_server):
    frame = open_map(page, app_server, "ae")
    frame.wait_for_function("() => Object.keys(window.aelabLive.blobFrom ?? {}).length > 0", timeout=60_000)
    find = page.get_by_role("spinbutton", name="Find image", exact=False)
    find.fill("417")
    find.press("Enter")
    page.get_by_text("Point #417", exact=False).first.wait_for(timeout=30_000)
    wait_idle(page)
    assert "sel=mnist-5k~417" in page.url.replace("%7E", "~") and "cam=" in page.url
    frame = map_frame(page)
    frame.wait_for_function(f"() => document.querySelector(\"{SURFACE}\").dataset.selected === '1'", timeout=30_000)
    frame.wait_for_function(f"() => Number(document.querySelector(\"{THUMBS}\").dataset.drawn) > 0", timeout=30_000)
    box = frame.locator(SURFACE).bounding_box()  # the map's centre is the found image
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_drawn(frame)
    frame.wait_for_function(f"() => document.querySelector(\"{NEAREST}\").dataset.index === '417'", timeout=10_000)


def test_the_attribute_slider_changes_the_decoded_image_while_dragged(page, app_server):
    """Ones -> sevens (the page's default labels are the first two; here 1 and 7 from the link): dragging alpha
    redraws the moved image at (nearly) every move, decoded in the page, and the released alpha reaches the server."""
    open_page(page, app_server, "latent", "model=pretrained%2Fae&la=1&lb=7")
    frame = live_frame(page, ".st-key-latent_attribute_box")
    track = frame.locator("input[type=range]").first
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    y = box["y"] + box["height"] / 2
    changed, _ = drag_frames(page, frame, (box["x"] + 0.05 * box["width"], y), (box["x"] + 0.95 * box["width"], y),
                             MOVES)
    alpha = float(track.input_value())
    page.mouse.up()
    assert changed >= MIN_CHANGED, f"the picture changed at {changed} of {MOVES} moves"
    assert frame.evaluate("() => window.aelabLive.frames") >= MIN_CHANGED  # decoded in the page
    page.get_by_text(f"Where you let go: alpha = {alpha:.2f}", exact=False).wait_for(timeout=30_000)


def _frame_of(page, container: str):
    """The map frame inside a keyed container, once its points are drawn."""
    iframe = page.locator(f"{container} iframe").first
    iframe.wait_for(timeout=60_000)
    frame = iframe.element_handle().content_frame()
    frame.wait_for_function(f"() => document.querySelector(\"{SURFACE}\")?.dataset.points", timeout=60_000)
    return frame


def test_a_lasso_on_one_models_map_highlights_the_same_images_on_the_other(page, app_server):
    open_page(page, app_server, "latent", "model=pretrained%2Fae&cmp=pretrained%2Fvae")
    main = map_frame(page)
    other = _frame_of(page, ".st-key-latent_map_cmp0_frame")
    for frame in (main, other):  # the reconstructions arrive once per browser
        frame.wait_for_function("() => Object.keys(window.aelabLive.blobFrom ?? {}).length >= 2", timeout=60_000)
    other.locator(SURFACE).scroll_into_view_if_needed()
    lasso_map(page, other, radius=0.25)
    page.get_by_text("points selected", exact=False).first.wait_for(timeout=30_000)
    wait_idle(page)
    main, other = map_frame(page), _frame_of(page, ".st-key-latent_map_cmp0_frame")
    count = int(other.locator(SURFACE).get_attribute("data-selected"))
    assert count >= 10
    main.wait_for_function(f"() => document.querySelector(\"{SURFACE}\").dataset.selected === '{count}'",
                           timeout=30_000)  # the same images light up on the page's own map
    assert "cmp=pretrained" in page.url and "sel=" in page.url
    # hovering an image on one map shows the other model's reconstruction of it, on the other map
    main.locator(SURFACE).scroll_into_view_if_needed()
    box = main.locator(SURFACE).bounding_box()
    found = None
    for k in range(80):
        spot = (box["x"] + box["width"] * (0.1 + 0.8 * k / 80), box["y"] + box["height"] * 0.5)
        page.mouse.move(*spot)
        found = main.locator(SURFACE).get_attribute("data-over")
        if found is not None:
            break
    assert found is not None, "no point along the middle of the map"
    other.wait_for_function(f"() => document.querySelector(\"[data-testid='linked-recon']\")"
                            f".closest('.echo').dataset.index === '{found}'", timeout=10_000)
    # a click on that point selects it alone (the map finds hovered points itself; the library still takes clicks)
    page.mouse.click(*spot)
    main.wait_for_function(f"() => document.querySelector(\"{SURFACE}\").dataset.selected === '1'", timeout=30_000)
    other = _frame_of(page, ".st-key-latent_map_cmp0_frame")
    other.wait_for_function(f"() => document.querySelector(\"{SURFACE}\").dataset.selected === '1'", timeout=60_000)


def test_a_map_of_70000_images_loads_and_pans(page, tmp_path):
    home = tmp_path / "big"
    write_big_mnist(home / "data" / "mnist")
    with running_app(home) as base:
        open_page(page, base, "latent", "data=mnist&model=pretrained%2Fae&split=all&points=70000")
        frame = map_frame(page, timeout=180_000)
        assert frame.locator(SURFACE).get_attribute("data-points") == "70000"
        box = frame.locator(SURFACE).bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
        page.mouse.down()
        for k in range(1, 21):  # a pan of a fifth of the map
            page.mouse.move(box["x"] + box["width"] * (0.5 + 0.01 * k), box["y"] + box["height"] * 0.5)
        page.mouse.up()
        page.wait_for_function("() => location.search.includes('cam=')", timeout=60_000)  # the pan reached the view
        frame = map_frame(page)
        assert frame.locator(SURFACE).get_attribute("data-points") == "70000"
        assert page.locator('[data-testid="stException"]').count() == 0
