"""The pages' "Save as a lesson file" in AppTest: the button's file is the CLI's file for the same view, byte for
byte; Generate's names its VAE; data of one's own is saved only after the page says so and the box is ticked; a
UMAP map has no lesson file. (The button runs its deferred build when clicked: AppTest never clicks, so these tests
take the callable the page handed to Streamlit's media manager and call it, as a click would.)"""
from __future__ import annotations

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from aelab.cli.main import main
from aelab.data.dataset import Dataset
from aelab.export.lesson import read_lesson_view
from tests.apptest_helpers import REPO, texts, unescaped

UPLOAD = "upload:class-photos.npz"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """An empty library (AELAB_HOME), so the models offered are the shipped ones and none of the user's."""
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "home"))


@pytest.fixture
def built(monkeypatch) -> dict:
    """file name -> (the deferred callable of each download button drawn, its mime type)."""
    handed: dict = {}
    original = MediaFileManager.add_deferred

    def record(self, callable_, mimetype, coordinates, file_name=None, element_id=""):
        handed[file_name] = (callable_, mimetype)
        return original(self, callable_, mimetype, coordinates, file_name=file_name, element_id=element_id)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return handed


def _page(page: str, **query) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(f"pages/{page}.py")
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _save_button(at: AppTest, page: str):
    """The popover's Save button (the page's other download buttons have other labels)."""
    return at.get("download_button")[[b.proto.label for b in at.get("download_button")].index("Save")]


def test_the_traverse_button_writes_the_clis_file(built, tmp_path):
    at = _page("traverse", model="pretrained/conv_ae", start="test:3", k="2.5")
    assert not _save_button(at, "traverse").proto.disabled
    data, mime = built["traverse-conv_ae.html"][0](), built["traverse-conv_ae.html"][1]
    assert mime == "application/octet-stream"  # downloaded, never shown as a page of the app
    out = tmp_path / "cli.html"
    assert main(["lesson", "conv_ae", "--page", "traverse", "--view", "start=test:3&k=2.5", "--out", str(out)]) == 0
    assert data == out.read_bytes()


def test_the_generate_button_names_its_vae(built):
    _page("generate", vae="pretrained/vae", temperature="0.6")
    said = read_lesson_view(built["generate-vae.html"][0]())
    assert "vae=pretrained%2Fvae" in said.view and "temperature=0.6" in said.view
    assert said.app == "data=mnist-5k&model=pretrained%2Fvae"


def test_data_of_ones_own_is_saved_only_once_the_box_is_ticked(built, mnist5k):
    upload = Dataset("class-photos.npz", mnist5k.x_train[:60], mnist5k.y_train[:60], mnist5k.x_test[:30],
                     mnist5k.y_test[:30], mnist5k.class_names)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.session_state["uploads"] = {UPLOAD: upload}
    at.session_state["dataset"] = UPLOAD
    at.run()
    at.switch_page("pages/interpolate.py").run()
    assert "This file would carry images of class-photos.npz" in unescaped(texts(at))
    assert _save_button(at, "interpolate").proto.disabled
    at.checkbox(key="lesson_interpolate_private_ok").check().run()
    assert not _save_button(at, "interpolate").proto.disabled
    said = read_lesson_view(built["interpolate-ae.html"][0]())
    assert said.page == "interpolate" and said.app == f"data={UPLOAD.replace(':', '%3A')}&model=pretrained%2Fae"


def test_a_umap_map_has_no_lesson_file():
    at = _page("latent", model="pretrained/vae", map="umap")
    assert _save_button(at, "latent").proto.disabled
    assert "it needs the PCA map or two latent dimensions" in texts(at)


def test_the_lessons_use_the_pages_own_settings():
    """What lesson_specs repeats of the pages (it cannot import ui/) is what the pages use."""
    from aelab.export import lesson_specs
    from ui import generate, traverse
    from ui.components import live_decoder
    from ui.latent import live

    assert lesson_specs.SHOWN_AT_FIRST == traverse.SHOWN_AT_FIRST
    assert lesson_specs.TEMPERATURES == (generate.LOW, generate.HIGH, generate.STEP)
    assert (lesson_specs.PLANE_PX, lesson_specs.PLANE_POINTS) == (live.PLANE_PX, live.MAX_POINTS)
    for size in ((28, 28), (8, 8), (64, 48)):
        assert lesson_specs.display_scale(size) == live_decoder.display_scale(size)
