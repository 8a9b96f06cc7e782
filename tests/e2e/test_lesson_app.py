"""Lesson files and the app, in Chromium: Traverse's "Save as a lesson file" downloads a file (an attachment, never a
page of the app's origin) that opens offline on the very sliders the page's live decoder shows; a lesson file
uploaded on another page opens its view on its own page, with its model; one naming a model this browser cannot see
falls back as a link does, and a file that is no lesson is refused in a line."""
from __future__ import annotations

import re

import pytest

from aelab.data.sources import load_dataset
from aelab.export.lesson import build_lesson
from aelab.library.store import load_model
from aelab.resources import pretrained_root
from aelab.views.base import parse_query
from aelab.views.pages import TraverseView
from tests.e2e.conftest import open_page, wait_idle
from tests.e2e.live import READY, live_frame, offline_page

pytestmark = pytest.mark.e2e

DECODED = ".st-key-traverse_decoded"
CODE_STATE = ".st-key-traverse_code_state"
SLIDERS_JS = """() => [...document.querySelectorAll('.sliders input[type=range]')]
  .map((input) => [input.dataset.dim, input.min, input.max, input.step, input.value])"""


def _lesson(tmp_path, model_key: str, query: str):
    record = load_model(pretrained_root() / "vae", pretrained=True)
    path = tmp_path / "lesson.html"
    path.write_bytes(build_lesson("traverse", parse_query(TraverseView, query)[0], record, load_dataset("mnist-5k"),
                                  model_key=model_key))
    return path


def _upload(page, path) -> None:
    page.get_by_role("button", name="Open a lesson file").click()
    page.locator('[data-testid="stPopoverBody"] input[type="file"]').set_input_files(str(path))


def test_saving_from_traverse_downloads_the_sliders_the_page_shows(page, app_server, browser, tmp_path):
    open_page(page, app_server, "traverse", "model=pretrained%2Fconv_ae&start=test%3A3")
    shown = live_frame(page, DECODED).evaluate(SLIDERS_JS)
    media = []
    page.on("response", lambda response: media.append(response) if "/media/" in response.url else None)
    page.get_by_role("button", name="Save as a lesson file").click()
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Save", exact=True).click()
    download = info.value
    assert download.suggested_filename == "traverse-conv_ae.html"
    for _ in range(300):  # the response's event can come a moment after the download has started
        if media:
            break
        page.wait_for_timeout(100)
    assert media and all(r.headers.get("content-disposition", "").startswith("attachment") for r in media)
    saved = tmp_path / "saved.html"
    download.save_as(saved)
    with offline_page(browser, saved.as_uri()) as (lesson, requests):
        lesson.wait_for_selector(READY, timeout=60_000)
        assert lesson.evaluate(SLIDERS_JS) == shown
        assert set(requests) == {saved.as_uri()}


def test_a_lesson_file_opens_its_view_on_its_page_with_its_model(page, app_server, tmp_path):
    path = _lesson(tmp_path, "pretrained/vae", "start=test:5&z=z9:0.5")
    open_page(page, app_server, "interpolate", "model=pretrained%2Fae")
    _upload(page, path)
    page.wait_for_url(re.compile(r"/traverse\?"), timeout=60_000)
    page.locator(CODE_STATE).get_by_text(re.compile(r"moved: z9 = 0\.500\b")).wait_for(timeout=60_000)
    wait_idle(page)
    assert "model=pretrained%2Fvae" in page.url and "start=test%3A5" in page.url
    assert page.get_by_text("Opened the lesson “Traverse the latent space of vae”.").count() == 1


def test_a_model_this_browser_cannot_see_falls_back_and_a_stray_file_is_refused(page, app_server, tmp_path):
    path = _lesson(tmp_path, "library/someone-elses", "start=test:5")
    open_page(page, app_server, "traverse", "model=pretrained%2Fconv_ae")
    _upload(page, path)
    page.get_by_text("The link's model=library/someone-elses is not available here").wait_for(timeout=60_000)
    stray = tmp_path / "notes.html"
    stray.write_text("<html><body><script>alert(1)</script></body></html>")
    wait_idle(page)
    _upload(page, stray)
    page.get_by_text("notes.html: this is not an aelab lesson file").wait_for(timeout=60_000)
