"""The teacher's class wall in AppTest (a class server: private libraries, AELAB_TEACHER_KEY set): without the key
only a password field; a wrong key is refused and counted; the right key opens the wall (the field cleared, the key
in no URL, page or log), one tile per student browser with its name, curve and pictures of the shared test images
(none of an upload's), sorted and filtered; Project opens a read-only copy that a student's Replace does not change;
Publish makes a copy every student sees as published; Stop cancels a training; Lock ends it. On the Train page: one
line saying the teacher sees trainings, and a display name checked and kept per browser."""
from __future__ import annotations

import json
import logging
import re
import threading

import numpy as np
import pytest
import torch

from aelab.data.sources import load_dataset
from aelab.library.namespaces import namespace_of, student_root
from aelab.library.store import PRETRAINED_ROOT, list_models, load_model, published_root
from aelab.runtime.identity import content_identity, source_identity, weights_digest
from aelab.train.job import TrainingOutcome
from tests.apptest_helpers import run_app, texts
from ui.classroom.cards import CARD_KEY

KEY = "correct horse battery staple"
ANA, BEN = "library:" + namespace_of("browser", "a" * 32), "library:" + namespace_of("browser", "b" * 32)


@pytest.fixture(autouse=True)
def class_server(tmp_path, monkeypatch):
    from ui.classroom.access import class_roster, teacher_gate

    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))
    monkeypatch.setenv("AELAB_LIBRARIES", "private")
    monkeypatch.setenv("AELAB_TEACHER_KEY", KEY)
    monkeypatch.delenv("AELAB_PUBLISHED_DIR", raising=False)
    teacher_gate.clear()
    class_roster.clear()
    yield tmp_path / "models"
    teacher_gate.clear()
    class_roster.clear()


def _html(at) -> str:
    return "\n".join(element.proto.body for element in at.get("html"))


def _tiles(at) -> list[str]:
    """Each tile's HTML (one st.html element per tile)."""
    return [element.proto.body for element in at.get("html") if 'data-testid="wall-tile"' in element.proto.body]


def _tile(at, name: str) -> str:
    (tile,) = [t for t in _tiles(at) if f'<div class="who">{name}</div>' in t]
    return tile


def _unlock(at, key: str = KEY):
    next(t for t in at.text_input if t.label == "Teacher key").input(key)
    next(b for b in at.button if b.label == "Unlock").click()
    return at.run()


def _teacher():
    return _unlock(run_app("pages/class.py"))


def _training(group: str, name: str, shared: bool = True, gate: threading.Event | None = None,
              model_name: str = "ae") -> str:
    """A finished (or, with gate, running until it is set) training of browser group, as a real job reports it."""
    from ui.classroom.access import class_roster
    from ui.train.lifecycle import job_manager

    record = load_model(PRETRAINED_ROOT / model_name)
    data = load_dataset("mnist-5k")
    identity = source_identity("mnist-5k", "x") if shared else content_identity([("x", data.x_test[:8])])

    def work(ctx):
        with torch.no_grad():
            preview = record.model(data.x_test[:8]).x_hat[:, 0].numpy().astype(np.float16)
        ctx.report(preview_input=data.x_test[:8, 0].numpy(), preview=preview, labels=data.y_test[:50].numpy(),
                   history=record.history[:3], progress={"epoch": 3, "epochs": 5, "fraction": 0.6})
        ctx.append("latent_frames", np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32))
        while gate is not None and not gate.is_set() and not ctx.should_stop():
            gate.wait(0.01)
        return TrainingOutcome(record.model, record.history, dict(record.metrics), ctx.should_stop(),
                               variant=record.variant, model_config=record.model_config,
                               train_config=record.train_config, dataset="mnist-5k" if shared else "mine.npz")

    card = {"variant": record.variant, "knobs": "latent 16, epochs 5", "data": "mnist-5k" if shared else
            "their own images", "shared": shared and identity.startswith("source:")}
    member = class_roster().touch(group)
    class_roster().set_name(group, name) if name else None
    job_id = job_manager().submit(f"session-of-{member.number}", f"{name} (ae)", work, state={CARD_KEY: card},
                                  group=group)
    if gate is None:
        job_manager().wait(job_id, timeout=30)
    return job_id


# ------------------------------------------------------------------------------------------------ the gate
def test_without_the_key_the_page_is_a_password_field_and_nothing_of_anyones():
    _training(ANA, "Ana")
    at = run_app("pages/class.py")
    assert [t.label for t in at.text_input] == ["Teacher key"] and not _tiles(at)
    assert "Ana" not in texts(at) + _html(at) and not at.get("plotly_chart")
    assert "Lock" not in [b.label for b in at.button]


def test_a_wrong_key_is_refused_and_too_many_make_even_the_right_one_wait():
    at = run_app("pages/class.py")
    for attempt in range(5):
        _unlock(at, f"guess {attempt}")
        assert "That is not the teacher key." in texts(at)
    _unlock(at, KEY)
    assert "Too many wrong keys" in texts(at) and not _tiles(at) and "Lock" not in [b.label for b in at.button]


def test_the_key_opens_the_wall_and_is_in_no_url_page_or_log(caplog):
    with caplog.at_level(logging.DEBUG):
        at = _teacher()
    assert not at.exception and "Lock" in [b.label for b in at.button]
    assert not any(t.label == "Teacher key" for t in at.text_input)  # the field is gone (and was cleared)
    token = at.session_state["class_token"]
    shown = texts(at) + _html(at) + str(dict(at.query_params))
    for secret in (KEY, token):
        assert secret not in shown and secret not in caplog.text
    assert at.session_state["class_token_write"][0] == token  # handed to the browser's cookie, not the page


def test_lock_ends_the_wall_and_the_token():
    from ui.classroom.access import teacher_gate

    at = _teacher()
    token = at.session_state["class_token"]
    next(b for b in at.button if b.label == "Lock").click().run()
    assert [t.label for t in at.text_input] == ["Teacher key"] and not teacher_gate().valid(token)
    assert at.session_state["class_token_write"][0] == ""  # the browser is told to forget its cookie


def test_a_token_locked_elsewhere_closes_an_open_wall():
    from ui.classroom.access import teacher_gate

    at = _teacher()
    teacher_gate().lock(at.session_state["class_token"])  # Lock pressed in another tab of the teacher's browser
    at.run()
    assert [t.label for t in at.text_input] == ["Teacher key"] and not _tiles(at)


def test_a_server_without_a_key_has_no_wall(monkeypatch):
    from ui.classroom.access import teacher_gate

    monkeypatch.delenv("AELAB_TEACHER_KEY")
    teacher_gate.clear()
    at = run_app("pages/class.py")
    assert not any(t.label == "Teacher key" for t in at.text_input)
    assert "This server has no teacher key" in texts(at)


# ------------------------------------------------------------------------------------------------ the wall
def test_one_tile_per_student_with_name_curve_and_reconstructions_and_none_of_an_upload():
    _training(ANA, "Ana")
    _training(ANA, "Ana")  # a second training of the same browser: still one tile
    _training(BEN, "<b>Ben</b>", shared=False)
    at = _teacher()
    assert len(_tiles(at)) == 2
    ana, ben = _tile(at, "Ana"), _tile(at, "&lt;b&gt;Ben&lt;/b&gt;")  # the student's text, escaped
    assert 'alt="loss curve"' in ana and 'alt="test images and their reconstructions"' in ana
    assert 'alt="latent map"' in ana and "on mnist-5k" in ana and 'data-epochs="3"' in ana
    assert 'alt="loss curve"' in ben and "reconstructions" not in ben and "latent map" not in ben
    assert "their own images" in ben and "mine.npz" not in _html(at) and "<b>Ben" not in _html(at)


def test_tiles_sort_by_loss_and_filter_by_variant():
    _training(ANA, "Ana", model_name="ae")  # test loss 202.6 after its 3rd epoch
    _training(BEN, "Ben", model_name="vae")  # 199.7
    at = _teacher()
    order = lambda: re.findall(r'<div class="who">(\w+)</div>', _html(at))  # noqa: E731
    assert order() == ["Ana", "Ben"]  # by start time
    at.query_params["sort"] = "loss"  # (the wall's link: what its Sort control writes)
    at.run()
    assert order() == ["Ben", "Ana"]
    at.query_params["variant"] = "vae"
    at.run()
    assert order() == ["Ben"]


def test_project_opens_a_read_only_copy_that_a_later_replace_does_not_change():
    _training(ANA, "Ana")
    at = _teacher()
    from ui.train.lifecycle import job_manager

    (listed,) = [j for j in job_manager().listing() if j.group == ANA][-1:]
    students_model = listed.snapshot.result.model
    before = weights_digest(students_model)
    next(b for b in at.button if b.label == "Project").click().run()
    assert not at.exception, at.exception
    key = at.session_state["resolved_model"]
    assert at.title[0].value.startswith("Latent space") and at.query_params["present"] == "1"
    assert key.startswith("session/class-ae-") and at.query_params["model"] == key and "Ana" not in key
    projected = at.session_state["session_models"][key.partition("/")[2]]
    assert projected.weights_digest == before and projected.model is not students_model
    assert not any(p.requires_grad for p in projected.model.parameters())
    with torch.no_grad():  # the student replaces the model (in the worst case: the very object changes)
        for parameter in students_model.parameters():
            parameter.add_(1.0)
    at.run()
    assert weights_digest(projected.model) == before == projected.weights_digest
    assert at.session_state["resolved_model"] == key


def test_publish_shares_a_copy_every_student_sees_as_published(class_server):
    _training(ANA, "Ana")
    at = _teacher()
    next(b for b in at.button if b.label == "Publish").click().run()
    assert "Published Ana's model as **class-ae-1**" in texts(at)
    for student in ("a" * 32, "b" * 32):  # each student's own list: pretrained, published, their library
        rows = {(i.source, i.name) for i in list_models(student_root(namespace_of("browser", student)),
                                                        published=published_root())}
        assert ("published", "class-ae-1") in rows
    next(b for b in at.button if b.label == "Publish").click().run()
    assert "class-ae-2" in texts(at)  # a new name: never over the first


def test_stop_cancels_a_students_running_training():
    from ui.train.lifecycle import job_manager

    gate = threading.Event()
    job_id = _training(ANA, "Ana", gate=gate)
    at = _teacher()
    assert 'data-status="running"' in _html(at)
    next(b for b in at.button if b.label == "Stop").click().run()
    assert job_manager().wait(job_id, timeout=30) == "cancelled"
    assert "Stopping Ana's training" in texts(at)


# ------------------------------------------------------------------------------------------------ students
def test_the_train_page_says_the_teacher_sees_trainings_and_keeps_a_checked_name():
    from ui.classroom.access import class_roster

    at = run_app("pages/train.py")
    assert "Your teacher sees this server's trainings" in texts(at)
    field = next(t for t in at.text_input if t.label.startswith("Your name on the class wall"))
    field.input("x" * 41).run()
    assert "at most 40 characters; this one has 41" in texts(at)
    field = next(t for t in at.text_input if t.label.startswith("Your name on the class wall"))
    field.input("  [Ana](http://e.vil)  ").run()
    owner = "library:" + at.session_state["viewer_namespace"]
    assert class_roster().get(owner).name == "[Ana](http://e.vil)"
    assert "display" not in str(dict(at.query_params)) and "Ana" not in str(dict(at.query_params))


def test_without_a_teacher_key_the_train_page_says_nothing_of_a_wall(monkeypatch):
    from ui.classroom.access import teacher_gate

    monkeypatch.delenv("AELAB_TEACHER_KEY")
    teacher_gate.clear()
    at = run_app("pages/train.py")
    assert "class wall" not in texts(at) and not any("class wall" in t.label for t in at.text_input)


def test_a_reload_of_a_students_browser_is_the_same_tile_and_name():
    from ui.classroom.access import class_roster

    namespace = namespace_of("browser", "a" * 32)
    first = run_app("pages/train.py", viewer_namespace=namespace)  # (the browser's cookie already read)
    next(t for t in first.text_input if t.label.startswith("Your name on the class wall")).input("Ana").run()
    again = run_app("pages/train.py", viewer_namespace=namespace)  # a reload: a new session, the same browser
    field = next(t for t in again.text_input if t.label.startswith("Your name on the class wall"))
    assert field.value == "Ana"
    assert [m.name for m in class_roster().active()] == ["Ana"]
    assert len(_tiles(_teacher())) == 1


def test_a_lessons_job_on_the_same_lane_is_no_tile():
    from ui.train.lifecycle import job_manager

    job_id = job_manager().submit("bens-session", "a lesson's fit", lambda ctx: ctx.report(history=[]), group=BEN)
    job_manager().wait(job_id, timeout=10)
    assert not _tiles(_teacher())


@pytest.mark.parametrize("target, title, field", [("traverse", "Traverse", None), ("generate", "Generate", "ae")])
def test_project_opens_the_model_on_the_page_chosen(target, title, field):
    _training(ANA, "Ana")
    at = _teacher()
    at.button_group(key="class_target").set_value(target).run()
    next(b for b in at.button if b.label == "Project").click().run()
    assert not at.exception, at.exception
    key = at.session_state["resolved_model"]
    assert at.title[0].value.startswith(title) and key.startswith("session/class-ae-")
    if field:  # Generate shows the projected model as its plain autoencoder
        assert at.selectbox(key=f"generate_{field}").value == key


def test_compare_overlays_the_curves_of_the_students_picked():
    _training(ANA, "Ana", model_name="ae")
    _training(BEN, "<i>Ben</i>", model_name="vae")
    at = _teacher()
    at.multiselect(key="class_compare").set_value([1, 2]).run()
    (chart,) = at.get("plotly_chart")
    names = [trace["name"] for trace in json.loads(chart.proto.spec)["data"]]
    assert names == ["Ana (ae)", "&lt;i&gt;Ben&lt;/i&gt; (vae)"]  # Plotly reads tags in names: escaped
    assert "Ana: ae, after epoch 3" in texts(at)


def test_a_refresh_with_nothing_new_copies_and_draws_no_pictures():
    from ui.classroom.access import class_roster
    from ui.classroom.tiles import LIGHT_KEYS, PICTURE_KEYS, PICTURE_TAILS, build_tiles, tile_pictures
    from ui.train.lifecycle import job_manager

    _training(ANA, "Ana")
    asked = []

    def fetch(ids):
        asked.append(set(ids))
        return {j.snapshot.id: j.snapshot.state for j in job_manager().listing(PICTURE_KEYS, PICTURE_TAILS, ids)}

    tiles = build_tiles(job_manager().listing(LIGHT_KEYS), class_roster())
    first = tile_pictures(tiles, fetch)
    again = tile_pictures(build_tiles(job_manager().listing(LIGHT_KEYS), class_roster()), fetch)
    assert len(asked) == 1 and first == again and first[tiles[0].job.id].recon.startswith("data:image/png;base64,")
