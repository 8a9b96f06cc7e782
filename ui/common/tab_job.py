"""The training job a browser tab watches, kept by the tab itself (ui.components.tab_job: the tab's sessionStorage),
never in the URL: a job id is the capability to watch and cancel a training, and a URL is copied into shared links.

A reloaded tab is a new session: at its first runs it asks the tab which job it held and re-attaches to it, if the
job is still on the server and was started by this browser (ui.train.lifecycle.attach_job); otherwise the Train page
says once that the job is gone and the tab forgets it. After that, the tab holds whatever job the session watches.
"""
from __future__ import annotations

import streamlit as st

from ui.common.session import session
from ui.components.tab_job import keep_tab_job, reported_job
from ui.train.lifecycle import attach_job, current_job_id

ASKED_KEY = "tab_job_asked"  # the tab's report has been taken (once per session)
WRITTEN_KEY = "tab_job_written"  # the job this session last had the tab keep


def reattach_tab_job() -> None:
    """Before the page draws: re-attach to the job the tab reported holding (a reload), once per session."""
    state = st.session_state
    held = reported_job()
    if held is None or state.get(ASKED_KEY) or current_job_id() is not None:
        return
    state[ASKED_KEY] = True
    if not attach_job(held):
        session.url_job_missing = True  # the Train page says so; keep_job has the tab forget it
        state[WRITTEN_KEY] = held


def keep_job() -> None:
    """At the end of the sidebar: have the tab hold the watched job (or forget one that is gone), and, while this
    session watches none, ask the tab to report the one it holds."""
    state = st.session_state
    job = current_job_id()
    if job is not None:
        write = job
    else:
        write = "" if state.get(WRITTEN_KEY) else None  # forget a job that was written and is gone
    state[WRITTEN_KEY] = job
    with st.sidebar:
        keep_tab_job(write, report=job is None and not state.get(ASKED_KEY))
