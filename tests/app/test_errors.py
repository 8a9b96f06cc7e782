"""AppTest of ui.common.errors.run_page: an unexpected error on a page is one line with an id and no traceback or
server path, the server's log has the traceback under the same id, and st.stop / st.rerun still work."""
from __future__ import annotations

import logging
import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import run_app


@pytest.fixture
def error_log(caplog):
    """What ui.common.errors logs (its logger writes to the server's console and does not propagate)."""
    logger = logging.getLogger("aelab.ui.errors")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def _one_line_with_id(at: AppTest) -> str:
    assert len(at.exception) == 1
    shown = at.exception[0]
    match = re.fullmatch(r"Something went wrong on this page \(error ([0-9a-f]{8})\)\..*", shown.value)
    assert match and "\n" not in shown.value and not shown.stack_trace, (shown.value, shown.stack_trace)
    return match.group(1)


def test_an_unexpected_error_on_a_page_is_one_line_whose_id_is_in_the_log(tmp_path, monkeypatch, error_log):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))

    def broken(*args, **kwargs):
        raise RuntimeError("/srv/aelab/secret-folder/config.json is broken")

    at = run_app()
    monkeypatch.setattr("ui.common.present.intro", broken)  # what the Generate page draws first
    at.switch_page("pages/generate.py").run()
    error_id = _one_line_with_id(at)
    assert "secret-folder" not in at.exception[0].value and at.sidebar.selectbox  # the sidebar is drawn as ever
    logged = [r for r in error_log.records if error_id in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info[0] is RuntimeError
    assert "secret-folder/config.json is broken" in error_log.text


def test_stop_and_rerun_pass_through():
    def script():
        import streamlit as st

        from ui.common.errors import run_page

        def page():
            st.session_state["runs"] = st.session_state.get("runs", 0) + 1
            if st.session_state["runs"] == 1:
                st.rerun()
            st.write("drawn")
            st.stop()

        run_page(page)
        st.write("after the stop: never drawn")

    at = AppTest.from_function(script).run()
    assert not at.exception and at.session_state["runs"] == 2
    assert [m.value for m in at.markdown] == ["drawn"]
