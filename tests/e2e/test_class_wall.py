"""The class wall in Chromium, on a class server (private libraries and a teacher key): two students train under the
names they chose; the teacher, with the key, sees both tiles with their names, curves and reconstructions, updating
while they train, and stops one from its tile; a student who opens /class sees a password field and nothing of
anyone, and his Train page lists his model, not hers; the key and the token are in no URL, page or server log;
Publish makes a copy both students see as published; Lock in one tab closes the wall in another; Project opens the
model in presenter mode."""
from __future__ import annotations

import re
import time

import pytest

from tests.app_server import VIEWPORT, running_app
from tests.e2e.conftest import model_options, open_page, wait_idle

pytestmark = pytest.mark.e2e

KEY = "correct horse battery staple"
TILE = '[data-testid="wall-tile"]'


def _fill(page, label: str, value: str) -> None:
    box = page.get_by_role("textbox", name=label, exact=True)
    box.fill(value)
    box.press("Enter")
    wait_idle(page)


def _start_training(page, name: str, epochs: int) -> None:
    _fill(page, "Your name on the class wall (optional)", name)
    for label, value in (("Save as", f"{name.lower()}-net"), ("Epochs", str(epochs)), ("Training images", "600")):
        _fill(page, label, value)
    page.get_by_role("button", name="Start training").click()
    wait_idle(page, quiet_ms=0)


def _tile(page, name: str):
    return page.locator(TILE).filter(has=page.locator(".who", has_text=name))


def _tile_box(page, name: str):
    """The tile's container, with its buttons."""
    return page.locator('[class*="st-key-wall_tile_"]').filter(has=_tile(page, name))


def _epochs(page, name: str) -> int:
    return int(_tile(page, name).get_attribute("data-epochs"))


def _wait(condition, timeout_s: float, what: str, interval_s: float = 0.5) -> None:
    """Wait for condition() (a training moves at the machine's pace: the wait is on what it shows, not on time)."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if condition():
            return
        time.sleep(interval_s)
    raise AssertionError(f"not seen within {timeout_s:.0f} s: {what}")



def test_the_teacher_sees_both_students_live_publishes_and_projects(browser, tmp_path):
    home = tmp_path / "home"
    with running_app(home, env={"AELAB_LIBRARIES": "private", "AELAB_TEACHER_KEY": KEY}) as base:
        contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(3)]
        ana, ben, teacher = (context.new_page() for context in contexts)
        # Ana's training is long (the teacher stops it once seen live: a short one can end between two refreshes of
        # the wall on a quiet machine); Ben's ends by itself
        for page, name, epochs in ((ana, "Ana", 200), (ben, "Ben", 6)):
            open_page(page, base, "train")
            _start_training(page, name, epochs)

        open_page(teacher, base, "class")
        assert teacher.locator(TILE).count() == 0 and teacher.get_by_text("Ana").count() == 0
        key_field = teacher.get_by_label("Teacher key")
        key_field.fill(KEY)
        key_field.press("Enter")
        teacher.get_by_role("button", name="Lock").wait_for(timeout=60_000)
        _wait(lambda: _tile(teacher, "Ana").count() == 1 and _tile(teacher, "Ben").count() == 1, 240, "two tiles")
        assert teacher.locator(TILE).count() == 2

        # Live: Ana's tile's epochs go up while her training runs, with its curve and reconstructions
        _wait(lambda: _epochs(teacher, "Ana") >= 1, 600, "a first epoch on Ana's tile")
        seen = _epochs(teacher, "Ana")
        _wait(lambda: _epochs(teacher, "Ana") > seen, 600, f"Ana's tile after epoch {seen}")
        assert _tile(teacher, "Ana").get_attribute("data-status") == "running"
        for alt in ("loss curve", "test images and their reconstructions", "latent map"):
            assert _tile(teacher, "Ana").get_by_alt_text(alt).count() == 1, alt
        # Stop: the teacher cancels Ana's runaway training from its tile
        _tile_box(teacher, "Ana").get_by_role("button", name="Stop").click()
        _wait(lambda: _tile(teacher, "Ana").get_attribute("data-status") == "cancelled", 600, "Ana's training stopped")
        _wait(lambda: _tile(teacher, "Ben").get_attribute("data-status") == "done", 1200, "Ben's training finished")
        assert _epochs(teacher, "Ben") == 6 and seen < _epochs(teacher, "Ana") < 200
        for name in ("Ana", "Ben"):  # each tile: its own curve, reconstructions and map
            for alt in ("loss curve", "test images and their reconstructions", "latent map"):
                assert _tile(teacher, name).get_by_alt_text(alt).count() == 1, (name, alt)

        # A student who opens the Class page by its address: a password field, nothing of anyone's
        open_page(ben, base, "class")
        assert ben.get_by_label("Teacher key").count() == 1 and ben.locator(TILE).count() == 0
        assert ben.get_by_text("Ana").count() == 0
        # ... and on his Train page, his own model and nothing of Ana's (her name, her model)
        open_page(ben, base, "train")
        options = model_options(ben, "-net")
        assert "ben-net" in " ".join(options) and "ana-net" not in " ".join(options), options
        assert not re.search(r"\bAna\b", ben.locator("body").inner_text())

        # Publish: a copy both students see as published
        _tile_box(teacher, "Ben").get_by_role("button", name="Publish").click()
        teacher.get_by_text("Published Ben's model as class-ae-1").wait_for(timeout=60_000)
        for page in (ana, ben):
            open_page(page, base, "train")
            assert "class-ae-1 (ae, published)" in model_options(page, "class")

        # Neither the key nor the token in a URL, a page or the server's log
        token = next(c["value"] for c in contexts[2].cookies() if c["name"] == "aelab_class")
        log = (home / "server.log").read_text()
        for page in (ana, ben, teacher):
            for secret in (KEY, token):
                assert secret not in page.url and secret not in page.content() and secret not in log

        # Lock in another tab of the teacher's browser (it opened unlocked, by its cookie): this open wall closes
        other = contexts[2].new_page()
        open_page(other, base, "class")
        other.get_by_role("button", name="Lock").click()
        other.get_by_label("Teacher key").wait_for(timeout=60_000)
        teacher.get_by_label("Teacher key").wait_for(timeout=60_000)  # at the wall's next refresh
        assert teacher.locator(TILE).count() == 0
        key_field = teacher.get_by_label("Teacher key")
        key_field.fill(KEY)
        key_field.press("Enter")

        # Project: Ben's model, full-size in presenter mode on the Latent space page
        _tile_box(teacher, "Ben").get_by_role("button", name="Project").click()
        teacher.wait_for_url("**/latent?*", timeout=60_000)
        wait_idle(teacher)
        assert "present=1" in teacher.url and "model=session%2Fclass-ae-" in teacher.url
        assert "Ben" not in teacher.url and teacher.locator('[data-testid="stSidebar"]').is_hidden()
        assert teacher.locator('[data-testid="stException"]').count() == 0
        for context in contexts:
            context.close()
