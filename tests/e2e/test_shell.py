"""Real browser on the app shell: a shared link opens on its dataset and model (even as the first request a fresh
server gets), an unknown model in a link is a warning, bad uploads give their message and the app keeps running."""
from __future__ import annotations

import io

import numpy as np
import pytest

from tests.app_server import running_app
from tests.e2e.conftest import open_page, wait_idle

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory):
    """A server of our own that no test has visited yet (UMAP warm-up on, as for a user): its first request is the
    deep link under test."""
    with running_app(tmp_path_factory.mktemp("fresh_server"), umap_warmup=True) as base:
        yield base


def _selected(page, label: str) -> str:
    return page.get_by_role("combobox", name=label).input_value()


def _upload(page, path) -> None:
    # The file <input> is never visible (a drop zone stands for it), so it cannot tell whether the expander is open:
    # its <details> can, and a second click would close it (hiding the message the test waits for).
    if page.locator('[data-testid="stSidebar"] details', has_text="Use your own data").get_attribute("open") is None:
        page.get_by_text("Use your own data").click()
    page.locator('[data-testid="stSidebar"] input[type="file"]').set_input_files(str(path))


def test_a_deep_link_is_the_first_request_of_a_fresh_server(page, fresh_server):
    open_page(page, fresh_server, "train", "data=mnist-5k&model=pretrained/vae-2d")
    page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Train" in nav and "Home" in nav and "app" not in nav.split()  # app.py's navigation, not pages/ v1
    assert _selected(page, "Model").startswith("vae-2d")
    assert _selected(page, "Dataset").startswith("mnist-5k")


def test_a_link_opens_on_its_model_and_an_unknown_one_is_a_warning(page, app_server):
    open_page(page, app_server, "", "data=mnist-5k&model=pretrained/vae")
    page.get_by_text("Model: vae").wait_for(timeout=30_000)
    assert _selected(page, "Model").startswith("vae ")
    page.get_by_role("link", name="Train").first.click()
    page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    assert "model=pretrained%2Fvae" in page.url or "model=pretrained/vae" in page.url

    open_page(page, app_server, "", "data=mnist-5k&model=library/nobody")
    page.get_by_text("The link's model=library/nobody is not available here").wait_for(timeout=30_000)
    assert _selected(page, "Model").startswith("ae ")
    assert page.locator('[data-testid="stException"]').count() == 0


def test_bad_uploads_give_their_message_and_the_app_keeps_running(page, app_server, tmp_path):
    buffer = io.BytesIO()
    np.savez(buffer, x=np.full((10, 28, 28), np.nan, dtype=np.float32))
    (tmp_path / "nan.npz").write_bytes(buffer.getvalue())
    (tmp_path / "notes.zip").write_text("a text file renamed .zip\n")

    open_page(page, app_server)
    _upload(page, tmp_path / "nan.npz")
    page.get_by_text("Could not use nan.npz").wait_for(timeout=30_000)
    assert "NaN" in page.locator('[data-testid="stSidebar"] [data-testid="stAlert"]').inner_text()
    _upload(page, tmp_path / "notes.zip")
    page.get_by_text("notes.zip").last.wait_for(timeout=30_000)
    page.wait_for_function("() => /Could not (use|read) notes.zip/.test(document.body.innerText)", timeout=30_000)
    wait_idle(page)
    assert _selected(page, "Dataset").startswith("mnist-5k")
    # The app keeps running: another page opens and works.
    page.get_by_role("link", name="Train").first.click()
    page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_home_draws_its_cards_as_pictures_and_prefetches_chart_and_widget_code_for_the_next_pages(page, app_server):
    """Home shows no Plotly chart (its cards are pictures), yet the browser loads Plotly's and the widgets' code while
    Home is open (ui/components/prefetch), and the Anomalies page's own imports find it: each file fetched once."""
    open_page(page, app_server, "")
    wait_idle(page)
    main = page.locator('[data-testid="stMainBlockContainer"]')
    assert main.locator(".js-plotly-plot").count() == 0 and main.locator("img").count() >= 8
    page.wait_for_function("() => { const done = Object.entries(window.__aelabPrefetched || {}); "
                           "return done.length >= 8 && done.every(([, ok]) => ok === true); }", timeout=60_000)
    # Anomalies draws a Plotly histogram and a slider (Latent's map is WebGL, in the live decoder's frame)
    page.locator('[data-testid="stSidebarNav"] a[href$="/anomalies"]').click()
    page.locator('[data-testid="stMainBlockContainer"] .js-plotly-plot').first.wait_for(timeout=60_000)
    wait_idle(page)
    for chunk in ("PlotlyChart", "Slider"):
        fetched = page.evaluate("(name) => performance.getEntriesByType('resource').filter(e => "
                                "e.name.includes('/static/js/' + name + '.')).length", chunk)
        assert fetched == 1, chunk  # Streamlit's own import of the chunk found the prefetched module
