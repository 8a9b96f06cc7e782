"""AppTest of a class server (AELAB_LIBRARIES=private): a browser's secret id never reaches the URL, the page or the
log; a tab cannot attach to another browser's training; a link to another student's model reads as one to a model
that does not exist (it tells nobody who has a model of that name); published models are offered to everyone; and a
session idle past the timeout gives its uploads, unsaved models and cached results back."""
from __future__ import annotations

import logging
import shutil
import time

import pytest
from streamlit.testing.v1 import AppTest

from aelab.library.namespaces import namespace_of, student_root
from aelab.library.store import PRETRAINED_ROOT, load_model
from aelab.runtime.identity import CacheIdentity
from tests.apptest_helpers import REPO, run_app, texts, unescaped, unmodelled_dataset
from ui.common.viewer import NAMESPACE_KEY, PROPOSED_KEY


@pytest.fixture(autouse=True)
def class_server(tmp_path, monkeypatch):
    """A library with one model the teacher published and one model in another student's library."""
    home = tmp_path / "models"
    monkeypatch.setenv("AELAB_HOME", str(home))
    monkeypatch.setenv("AELAB_LIBRARIES", "private")
    monkeypatch.delenv("AELAB_PUBLISHED_DIR", raising=False)
    shutil.copytree(PRETRAINED_ROOT / "linear_ae", home / ".published" / "teacher-model")
    shutil.copytree(PRETRAINED_ROOT / "linear_ae", student_root(namespace_of("browser", "c" * 32)) / "their-model")
    return home


def _picker(at: AppTest):
    return next(s for s in at.sidebar.selectbox if s.label == "Model")


def test_the_browser_id_is_never_in_the_url_the_page_or_the_log(caplog, class_server):
    with caplog.at_level(logging.DEBUG):
        at = run_app()
        at.switch_page("pages/train.py").run()
    secret = at.session_state[PROPOSED_KEY]
    assert len(secret) == 32 and at.session_state[NAMESPACE_KEY] == namespace_of("browser", secret)
    assert not any(secret in value for value in at.query_params.values())
    assert secret not in texts(at) and secret not in caplog.text
    assert secret not in str(student_root(at.session_state[NAMESPACE_KEY]))


def test_a_tab_never_attaches_to_a_training_another_browser_started():
    """Even holding the id (a crafted tab storage), a browser cannot watch another student's training."""
    from ui.train.lifecycle import job_manager

    theirs = job_manager().submit("their-session", "their training", lambda ctx: "model",
                                  group="library:" + namespace_of("browser", "c" * 32))
    job_manager().wait(theirs, timeout=10)
    at = run_app("pages/train.py")
    at.session_state["tab_job"] = {"job": theirs}  # what the tab reports from its sessionStorage
    at.run()
    assert not at.exception and "train_job" not in at.session_state
    assert job_manager().snapshot(theirs, at.session_state["session_id"]) is None
    assert "The training job this tab was watching is no longer on this server" in texts(at)


def test_a_link_to_another_students_model_says_the_same_as_one_to_no_model_and_opens_the_default():
    """Whether a classmate has a model of that name must not be told: their private model and a name nobody has get
    the very same line."""
    said = {}
    for name in ("their-model", "nobodys-model"):
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
        at.query_params.update({"data": "mnist-5k", "model": f"library/{name}"})
        at.run()
        assert not at.exception
        # a link's message stands above the page (presenter mode hides the sidebar)
        said[name] = unescaped(" ".join(w.value for w in at.main.warning)).replace(name, "NAME")
        assert _picker(at).value == "pretrained/ae"
        keys = _picker(at).options
        assert "teacher-model  (linear_ae, published)" in keys and not any("their-model" in k for k in keys)
    assert said["their-model"] == said["nobodys-model"] == \
        "The link's model=library/NAME is not available here; showing pretrained/ae."


def test_an_idle_session_gives_back_its_uploads_models_and_results():
    from ui.common.activity import registry
    from ui.common.cache import result_store

    at = run_app(**unmodelled_dataset(), session_models={"mine": load_model(PRETRAINED_ROOT / "linear_ae")})
    session_id = at.session_state["session_id"]
    result_store().put(CacheIdentity("sha256:x", "w", session_id), "codes", (), [0.0] * 10)
    assert session_id in registry()
    registry().sweep(now=time.monotonic() + registry().idle_seconds + 1)
    assert at.session_state["uploads"] == {} and at.session_state["session_models"] == {}
    assert session_id not in result_store().stats().owners and session_id not in registry()
    at.run()
    assert "its uploads and unsaved models were released" in texts(at)
    assert session_id in registry()  # active again
