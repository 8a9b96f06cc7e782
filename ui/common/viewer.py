"""Whose library this browser sees: one library for the whole server, or one per student (a class server).

AELAB_LIBRARIES=shared (the default, one user on their own machine): the app's library is AELAB_HOME, the same as
the CLI's. AELAB_LIBRARIES=private (a class server): each browser has its own library namespace
(aelab.library.namespaces), named by the signed-in account where Streamlit's st.login is configured, else by a
random id the browser keeps in a cookie (ui.components.browser_id), so it survives reloads. The id is a bearer
secret: only its hash (the namespace) is kept past the first run, and it is never put in a URL, a link or a log.
In both modes, pretrained and published models are everyone's and read-only: a save goes to own_library() only.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import streamlit as st

from aelab.library.namespaces import SECRET_PATTERN, namespace_of, student_root
from aelab.library.store import library_root
from ui.components.browser_id import COOKIE
from ui.components.browser_id import keep_browser_id as remember_id

NAMESPACE_KEY = "viewer_namespace"  # the hash naming this browser's library
PROPOSED_KEY = "viewer_proposed_id"  # a new id offered to the browser, kept only until the browser confirms it


def private_libraries() -> bool:
    """Whether each browser has its own library (AELAB_LIBRARIES=private)."""
    return os.environ.get("AELAB_LIBRARIES", "shared").strip().lower() == "private"


def _signed_in_account() -> str | None:
    """The signed-in user's stable subject (or email) where st.login is configured and used, else None."""
    try:
        user = st.user.to_dict()
    except Exception:  # no auth configured, or an older Streamlit: browsers are told apart by their cookie
        return None
    if not user.get("is_logged_in"):
        return None
    account = user.get("sub") or user.get("email")
    return str(account) if account else None


def namespace() -> str | None:
    """This browser's library namespace (32 hex characters), or None with a shared library."""
    if not private_libraries():
        return None
    state = st.session_state
    account = _signed_in_account()
    if account is not None:
        state.pop(PROPOSED_KEY, None)
        state[NAMESPACE_KEY] = namespace_of("user", account)
    elif NAMESPACE_KEY not in state:
        secret = st.context.cookies.get(COOKIE)
        if not isinstance(secret, str) or not SECRET_PATTERN.match(secret):  # (AppTest's context is a mock)
            secret = secrets.token_hex(16)
            state[PROPOSED_KEY] = secret  # the browser stores it (keep_browser_id, at the end of each run)
        state[NAMESPACE_KEY] = namespace_of("browser", secret)
    return state[NAMESPACE_KEY]


def keep_browser_id() -> None:
    """Have the browser store this session's new id, if it has one to store; drawn at the end of the sidebar (an
    element that comes and goes there shifts nothing drawn before it). If the browser already held another id
    (a second tab was quicker), that one is adopted and the run starts again on its library."""
    proposed = st.session_state.get(PROPOSED_KEY)
    if proposed is None:
        return
    with st.sidebar:
        held = remember_id(proposed)
    if held is None or not SECRET_PATTERN.match(held):
        return
    st.session_state.pop(PROPOSED_KEY, None)
    if held != proposed:
        st.session_state[NAMESPACE_KEY] = namespace_of("browser", held)
        st.rerun()


def own_library() -> Path:
    """The library this browser saves into and may replace models in."""
    name = namespace()
    return library_root() if name is None else student_root(name)


def library_owner() -> str | None:
    """The cache owner of this browser's library models with private libraries (None: they are everyone's)."""
    name = namespace()
    return None if name is None else f"library:{name}"
