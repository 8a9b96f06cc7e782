"""AppTest helpers: run the whole app (sidebar included) on a given page, with a private library and cache."""
from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import pytest
from PIL import Image
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from aelab.views.pages import LatentView
from aelab.views.values import Selection
from ui.common.legacy_pages import navigation_only_in_apptest
from ui.common.text import WORD_JOINER
from ui.common.view_state import PageState

REPO = Path(__file__).resolve().parents[1]


navigation_only_in_apptest()  # AppTest would run pages/ files alone, without app.py: see ui/common/legacy_pages.py


def run_app(page: str | None = None, timeout: float = 60, **session_state) -> AppTest:
    """AppTest of app.py switched to page (e.g. "pages/train.py"), with session_state set before the first run.
    Use the `isolated_aelab_home` fixture (or monkeypatch AELAB_HOME) so saved models go to a temporary folder."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout)
    selection = session_state.pop("latent_selection", None)
    if selection is not None:  # what the Latent Space page's view keeps of a selection made there
        at.session_state["views"] = {"latent": PageState(LatentView(
            selection=Selection(selection["dataset"], tuple(selection["indices"]))))}
    for key, value in session_state.items():
        at.session_state[key] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


UNMODELLED = "upload:unmodelled.npz"


def unmodelled_dataset(side: int = 12, n_train: int = 64, n_test: int = 32) -> dict:
    """Session state for run_app that makes an uploaded dataset of side x side images the current one. No shipped
    model has that size (the pretrained models are 28x28 and 8x8), so every page shows what it says without a model:
    run_app(PAGE, **unmodelled_dataset())."""
    import torch

    from aelab.data.sources import Dataset

    generator = torch.Generator().manual_seed(0)
    dataset = Dataset(UNMODELLED, torch.rand(n_train, 1, side, side, generator=generator),
                      torch.arange(n_train) % 4, torch.rand(n_test, 1, side, side, generator=generator),
                      torch.arange(n_test) % 4, ("a", "b", "c", "d"))
    return {"uploads": {UNMODELLED: dataset}, "dataset": UNMODELLED}


def rerun_until(at: AppTest, condition, timeout: float = 60, interval: float = 0.2) -> AppTest:
    """AppTest is synchronous: to follow a background job, rerun until condition(at) holds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        at.run()
        if condition(at):
            return at
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def shown(markdown: str) -> str:
    """Markdown as a person reads it where ui.common.text.plain() made it literal: without its backslash escapes
    and invisible word joiners (other Markdown, such as **bold**, is left as written)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace(WORD_JOINER, "")


unescaped = shown  # (the name the view tests use)


def texts(at: AppTest) -> str:
    """All markdown, captions, info/success/warning/error text of the page, joined, as shown, for assertions."""
    parts = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "title", "header", "subheader"):
        parts += [shown(str(e.value)) for e in getattr(at, kind)]
    return "\n".join(parts)


def component_args(at: AppTest, mode: str) -> dict | None:
    """The arguments (mode, spec, hash...) of this run's live decoder drawn in `mode` ("map", "plane"...), or None
    when the page drew none."""
    for element in at.get("component_instance"):
        args = json.loads(element.proto.json_args)
        if args.get("mode") == mode:
            return args
    return None


def map_args(at: AppTest) -> dict | None:
    """The WebGL map component's arguments in this run, or None when the page drew no map."""
    return component_args(at, "map")


@pytest.fixture
def media(monkeypatch) -> dict[str, bytes]:
    """Every file the app hands to the media store (images, downloads), by file id: the bytes a user would get."""
    stored: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        stored[file_id] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return stored


def download(at, key: str, media: dict[str, bytes]) -> Image.Image:
    button = at.download_button(key=key)
    file_id = button.proto.url.rsplit("/", 1)[-1].split(".")[0]
    return Image.open(io.BytesIO(media[file_id]))
