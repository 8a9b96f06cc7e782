"""The Latent Space page's Plotly map (its path without WebGL) in a real browser: click a point and see its images,
lasso a cluster and see the grid, click empty latent plane and see the decoded image, draw a digit on the canvas and
see its reconstruction, switch to the bundled 8x8 digits and their shipped model."""
from __future__ import annotations

import math

import pytest

from tests.e2e.conftest import open_page, wait_idle, without_webgl

pytestmark = pytest.mark.e2e

CHART = ".st-key-scatter .js-plotly-plot"
# Screen position of a data point (trace, i) or of a fraction (fx, fy) of the axes' ranges, from Plotly's own axis
# maps (COOKBOOK): l2p gives pixels within the plot area, _offset places it in the chart, the bounding box on screen.
POSITION_JS = """([trace, i, fx, fy]) => {
  const gd = document.querySelector('.st-key-scatter .js-plotly-plot');
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
  let x, y, index = null;
  if (trace >= 0) {
    const t = gd._fullData[trace]; x = t.x[i]; y = t.y[i]; index = t.customdata ? t.customdata[i] : null;
  }
  else { x = xa.range[0] * (1 - fx) + xa.range[1] * fx; y = ya.range[0] * (1 - fy) + ya.range[1] * fy; }
  return {px: box.left + xa.l2p(x) + xa._offset, py: box.top + ya.l2p(y) + ya._offset, index: index,
          scale_x: xa._length / (xa.range[1] - xa.range[0]), scale_y: ya._length / (ya.range[1] - ya.range[0])};
}"""


def open_latent(page, app_server, model: str) -> None:
    """The Latent page with its Plotly map: the page's path in a browser without WebGL, which it says in one line
    (the WebGL map's tests are tests/e2e/test_latent_map.py)."""
    without_webgl(page)
    open_page(page, app_server, "latent", f"model=pretrained/{model}")
    page.wait_for_selector(CHART, timeout=60_000)
    page.get_by_text("The WebGL map is off (this browser has no WebGL): this is the Plotly map.").wait_for()
    page.locator(CHART).scroll_into_view_if_needed()


def image_captions(page, wait_for: str) -> list[str]:
    """Captions under the page's pictures, once one reads exactly wait_for (images arrive just after the text)."""
    page.get_by_test_id("stImageCaption").get_by_text(wait_for, exact=True).first.wait_for(timeout=30_000)
    return page.get_by_test_id("stImageCaption").all_inner_texts()


def click_chart(page, at: dict, hover_text: str) -> None:
    """Hover first, as a user does: Plotly decides what a click hits from the hover it computed on mouse move, and a
    click with no move before it can land before that (then nothing is selected)."""
    page.mouse.move(at["px"], at["py"])
    page.locator(".st-key-scatter .hoverlayer").get_by_text(hover_text).first.wait_for(timeout=10_000)
    page.mouse.click(at["px"], at["py"])


def position(page, trace: int = -1, i: int = 0, fx: float = 0.0, fy: float = 0.0) -> dict:
    return page.evaluate(POSITION_JS, [trace, i, fx, fy])


def test_click_a_point_then_lasso_a_cluster(page, app_server):
    open_latent(page, app_server, "ae")
    point = position(page, trace=1, i=3)  # trace 0 is digit "0" (no plane grid for a 16-latent model)
    click_chart(page, point, f"index {point['index']}")
    page.get_by_text(f"Point #{point['index']}", exact=False).wait_for(timeout=30_000)
    captions = image_captions(page, "reconstruction")
    assert "original" in captions
    # its 8 nearest codes with their distances: a second row, which under load arrives after the first
    page.get_by_test_id("stImageCaption").filter(has_text=" d=").nth(7).wait_for(timeout=30_000)
    captions = page.get_by_test_id("stImageCaption").all_inner_texts()
    assert sum(" d=" in c for c in captions) == 8
    assert page.get_by_test_id("stImage").locator("img").count() >= 10

    # Lasso: the toolbar's Lasso Select, then a drag around the middle half of the "1" cluster.
    page.locator(CHART).hover()
    page.locator(".st-key-scatter [data-title='Lasso Select']").click()
    cluster = page.evaluate("""() => { const t = document.querySelector('.st-key-scatter .js-plotly-plot')._fullData[1];
        const q = (a, f) => Array.from(a).sort((u, v) => u - v)[Math.floor(a.length * f)];
        return [q(t.x, 0.5), q(t.y, 0.5), q(t.x, 0.75) - q(t.x, 0.25), q(t.y, 0.75) - q(t.y, 0.25)]; }""")
    centre = page.evaluate("""([x, y]) => { const gd = document.querySelector('.st-key-scatter .js-plotly-plot');
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
        return [box.left + xa.l2p(x) + xa._offset, box.top + ya.l2p(y) + ya._offset]; }""", cluster[:2])
    rx = max(12.0, cluster[2] * point["scale_x"])
    ry = max(12.0, abs(cluster[3] * point["scale_y"]))
    page.mouse.move(centre[0] + rx, centre[1])
    page.mouse.down()
    for k in range(1, 41):
        angle = 2 * math.pi * k / 40
        page.mouse.move(centre[0] + rx * math.cos(angle), centre[1] + ry * math.sin(angle))
    page.mouse.up()
    summary = page.locator("p", has_text="points selected").first
    summary.wait_for(timeout=30_000)
    wait_idle(page)
    text = summary.inner_text()  # e.g. "72 points selected (0: 2, 1: 60, 7: 10)."
    counts = dict(part.split(": ") for part in text[text.index("(") + 1:text.index(")")].split(", "))
    total = int(text.split()[0])
    assert total >= 5 and int(counts.get("1", 0)) > total / 2, text  # the lassoed cluster is mostly ones
    assert "originals" in image_captions(page, "reconstructions")


def test_click_empty_plane_of_a_two_latent_model_decodes_it(page, app_server):
    open_latent(page, app_server, "vae-2d")
    assert page.locator(CHART).evaluate("gd => gd._fullLayout.images.length") == 1  # the decoded manifold
    corner = position(page, trace=0, i=63 * 70 + 63)  # a point of the invisible 70x70 plane grid, far from the data
    assert corner["index"] is None
    click_chart(page, corner, "decode z")
    decoded = page.locator("p", has_text="Decoded from z1 =").first
    decoded.wait_for(timeout=30_000)
    assert "a point of the plane with no image of its own" in decoded.inner_text()
    assert "decoded at the clicked point" in image_captions(page, "decoded at the clicked point")


def test_draw_a_stroke_and_see_its_reconstruction(page, app_server):
    open_latent(page, app_server, "ae")
    canvas = page.locator("canvas.upper-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + 0.25 * box["width"], y0 + 0.2 * box["height"])  # a 7: a bar, then a diagonal
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x0 + (0.25 + 0.05 * k) * box["width"], y0 + 0.2 * box["height"])
    for k in range(1, 16):
        page.mouse.move(x0 + (0.75 - 0.02 * k) * box["width"], y0 + (0.2 + 0.045 * k) * box["height"])
    page.mouse.up()
    page.get_by_text("Reconstruction error", exact=False).wait_for(timeout=30_000)
    assert "what the model sees" in image_captions(page, "its reconstruction")
    names = page.locator(CHART).evaluate("gd => gd.data.map(t => t.name)")
    assert "your digit" in names  # the star on the map


def test_choosing_the_bundled_digits_opens_their_shipped_model_and_a_click_shows_an_8x8_image(page, app_server):
    open_latent(page, app_server, "ae")
    page.get_by_role("combobox", name="Dataset").click()
    page.get_by_role("option", name="digits (bundled)").click()
    page.get_by_text("digits-ae", exact=False).first.wait_for(timeout=60_000)
    wait_idle(page)
    assert page.get_by_role("combobox", name="Model").input_value().startswith("digits-ae")
    assert "data=digits" in page.url and "model=" not in page.url  # the dataset's own default model: left out
    page.wait_for_function("() => { const gd = document.querySelector('.st-key-scatter .js-plotly-plot');"
                           " return gd && gd._fullData && gd._fullData.reduce((n, t) => n + t.x.length, 0) === 359; }",
                           timeout=30_000)  # one point per image of the 8x8 digits' test split
    point = position(page, trace=1, i=0)
    click_chart(page, point, f"index {point['index']}")
    page.get_by_text(f"Point #{point['index']}", exact=False).wait_for(timeout=30_000)
    assert "reconstruction" in image_captions(page, "reconstruction")
    assert page.locator('[data-testid="stException"]').count() == 0
