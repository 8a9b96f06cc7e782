"""Two students on one class server (AELAB_LIBRARIES=private), as two browser contexts: neither sees the other's
models, saving under a name another student used touches only one's own library (no Replace offered), the teacher's
published model appears read-only in both, and a reload finds one's library again (the id kept in a cookie, never in
the URL)."""
from __future__ import annotations

import hashlib
import shutil

import pytest

from aelab.library.store import PRETRAINED_ROOT
from tests.app_server import VIEWPORT, running_app
from tests.e2e.conftest import model_options, open_page, wait_idle

pytestmark = pytest.mark.e2e



def _train(page, name: str) -> None:
    for label, value in (("Save as", name), ("Epochs", "1"), ("Training images", "200")):
        box = page.get_by_label(label, exact=True)
        box.fill(value)
        box.press("Enter")
        wait_idle(page)
    assert page.get_by_text("Replace the model of that name").count() == 0  # never offered for another's name
    page.get_by_role("button", name="Start training").click()
    page.get_by_text(f"saved in your library as {name}").wait_for(timeout=120_000)
    wait_idle(page, quiet_ms=0)


def _digest(folder) -> str:
    return hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()


def test_two_students_have_separate_libraries_and_share_the_published_model(browser, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(PRETRAINED_ROOT / "linear_ae", home / "models" / ".published" / "teacher-model")
    with running_app(home, env={"AELAB_LIBRARIES": "private"}) as base:
        alice, bob = (browser.new_context(viewport=VIEWPORT) for _ in range(2))
        a, b = alice.new_page(), bob.new_page()
        for page in (a, b):
            open_page(page, base, "train")
            assert "teacher-model (linear_ae, published)" in model_options(page, "teacher")

        _train(a, "mine")
        assert "mine (ae, library)" in model_options(a, "mine")
        b.reload()
        wait_idle(b)
        assert not any(o.startswith("mine") for o in model_options(b, "mine"))

        (alices,) = (home / "models" / ".students").iterdir()
        before = (alices / "mine" / "model.safetensors").stat()
        _train(b, "mine")  # the same name: Bob's own model, Alice's untouched
        students = list((home / "models" / ".students").iterdir())
        assert len(students) == 2 and all((s / "mine" / "config.json").is_file() for s in students)
        after = (alices / "mine" / "model.safetensors").stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
        assert not (home / "models" / "mine").exists()  # nothing in the teacher's own library

        a.reload()  # a new session of the same browser: its library again, by its cookie
        wait_idle(a)
        assert "mine (ae, library)" in model_options(a, "mine")
        for context, page in ((alice, a), (bob, b)):
            secret = next(c["value"] for c in context.cookies() if c["name"] == "aelab_id")
            assert secret not in page.url and all(secret not in s.name for s in students)
            assert "teacher-model (linear_ae, published)" in model_options(page, "teacher")
        assert _digest(home / "models" / ".published" / "teacher-model") == _digest(PRETRAINED_ROOT / "linear_ae")
        alice.close()
        bob.close()
