"""No page shows a person a traceback: an error nobody foresaw is one line with an id, and the server's log holds the
traceback under that id (grep the log for it).

run_page(navigation.run) runs the page. st.stop() and st.rerun() (and st.switch_page) raise exceptions derived from
BaseException, not Exception, so they pass through untouched. The line is drawn with st.exception, so the browser
and AppTest still see an exception element (the tests that assert a page runs without one keep failing on a broken
page), but with no stack and no server paths. Errors outside the page (a fragment rerunning alone, the sidebar) are
left to Streamlit, which the config's client.showErrorDetails = "none" keeps to a generic line.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable

import streamlit as st
from streamlit.logger import get_logger

_LOG = get_logger("aelab.ui.errors")  # Streamlit's console handler: the server's log


class PageError(Exception):
    """What a person sees of an unexpected error: one line, with the id to find it by in the log."""


def run_page(run: Callable[[], object]) -> None:
    """Run the page (call it as run_page(navigation.run)); an unexpected error becomes one line and a log entry."""
    try:
        run()
    except Exception as err:  # (not st.stop / st.rerun: BaseException)
        error_id = secrets.token_hex(4)
        _LOG.error("error %s: %s: %s", error_id, type(err).__name__, err, exc_info=err)
        st.exception(PageError(f"Something went wrong on this page (error {error_id}). Try again, or tell whoever "
                               f"runs this server the error number: their log has the details."))
