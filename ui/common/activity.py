"""Memory that comes back (aelab.runtime.sessions): every rerun touches this session in the process-wide registry,
and a session idle for AELAB_SESSION_IDLE_S seconds (default 30 minutes) gives up its uploads (the datasets and
Streamlit's copy of the uploaded files), its unsaved models, its cached results and its finished jobs; glibc then
returns the freed memory to the operating system. A tab that comes back after that says what was released.
"""
from __future__ import annotations

import os
import time

import streamlit as st

from aelab.runtime.sessions import SessionRegistry
from ui.classroom.access import touch_roster
from ui.common.cache import result_store
from ui.common.session import session
from ui.common.viewer import library_owner
from ui.train.lifecycle import job_manager, quick_job_manager

IDLE_S = float(os.environ.get("AELAB_SESSION_IDLE_S", "") or 1800)
RELEASED_KEY = "released"  # {"at": time} once this session's memory was released while it was idle


@st.cache_resource(show_spinner=False)
def registry() -> SessionRegistry:
    """One per server process, with its sweeper thread (sessions are released even when nobody reruns)."""
    sessions = SessionRegistry(IDLE_S, evict_owner=_evict_results)
    sessions.start()
    return sessions


def _evict_results(owner: str) -> None:
    """Drop owner's cached results, those it holds alone and those of several owners it is one of (ui.common.cache
    names a result of a session's upload and a private library model "library:...+SESSION")."""
    store = result_store()
    for held in list(store.stats().owners):
        if owner in held.split("+"):
            store.evict_owner(held)


def _streamlit_session_id() -> str | None:
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        return ctx.session_id if ctx is not None else None
    except ImportError:
        return None


def _release_actions(marker: dict) -> list:
    """What to do when this session is released, as closures over its own objects (the sweeper thread has no
    script context, so nothing here may read st.session_state)."""
    uploads, models, viewer, manager = session.uploads, session.session_models, session.id, job_manager()
    requests, quick = session.train_requests, quick_job_manager()  # requests: kept for "one more epoch"
    streamlit_id = _streamlit_session_id()

    def forget_files() -> None:
        had = bool(uploads or models)
        uploads.clear()
        models.clear()
        requests.clear()
        if had:
            marker["at"] = time.time()
        if streamlit_id is not None:  # the uploader's copy of the files' bytes, held per Streamlit session
            try:
                from streamlit.runtime import Runtime

                Runtime.instance().uploaded_file_mgr.remove_session_files(streamlit_id)
            except (RuntimeError, AttributeError):
                pass

    return [forget_files, lambda: manager.forget_viewer(viewer) + quick.forget_viewer(viewer)]


def track_activity() -> None:
    """Touch this session (call on every rerun, before the sidebar reads uploads or models); say so if its memory
    was released while it was idle."""
    marker = st.session_state.setdefault(RELEASED_KEY, {})
    if marker.pop("at", None) is not None:
        st.info(f"This tab was idle for more than {IDLE_S / 60:g} minutes, so its uploads and unsaved models were "
                "released to free the server's memory: upload or train again to continue.",
                icon=":material/hourglass_empty:")
    owners = [owner for owner in (library_owner(),) if owner]
    viewer, manager = session.id, job_manager()
    registry().touch(viewer, owners, _release_actions(marker),
                     busy=lambda: any(job.active for job in manager.jobs_for(viewer, keys=())))
    touch_roster()  # the class wall's list of browsers active lately (only with a teacher key)
