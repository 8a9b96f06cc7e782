"""Who may see the class wall, and who is in the class: the server's teacher gate and roster (one per process), this
session's unlocked state, the Class page's password field and its Lock.

The server has a teacher when AELAB_TEACHER_KEY is set (at least 8 characters). The key typed into the password
field is checked by aelab.runtime.teacher (constant time, wrong attempts limited per client address); a right key
clears the field and gives this session a token, which the browser keeps in a cookie
(ui.components.teacher_token) so a reload stays unlocked until the token expires. The key is never stored, shown,
put in a URL or logged; the token is kept in this session's state (server side) and the browser's cookie only.

The roster (aelab.runtime.roster) has one entry per browser: on a class server (private libraries) the hash naming
the browser's library, so a reload is the same student; with one shared library, browsers cannot be told apart and
each session is its own entry. Every run touches this browser's entry (ui.common.activity).
"""
from __future__ import annotations

import os
import secrets

import streamlit as st

from aelab.runtime.identity import PUBLIC
from aelab.runtime.roster import ClassRoster, Member
from aelab.runtime.teacher import KeyRefused, TeacherGate
from ui.common.session import session
from ui.common.viewer import PROPOSED_KEY, library_owner
from ui.components.teacher_token import COOKIE, keep_token

KEY_ENV = "AELAB_TEACHER_KEY"
TOKEN_KEY = "class_token"  # this session's token (server side only)
WRITE_KEY = "class_token_write"  # (what the browser should store: the token or "" to forget it, a nonce)
FIELD_KEY = "class_key_field"  # the password field's widget (cleared on submit)


@st.cache_resource(show_spinner=False)
def teacher_gate() -> TeacherGate:
    """The server's gate, from AELAB_TEACHER_KEY read once per process."""
    return TeacherGate(os.environ.get(KEY_ENV) or None)


@st.cache_resource(show_spinner=False)
def class_roster() -> ClassRoster:
    return ClassRoster()


def has_teacher() -> bool:
    return teacher_gate().enabled


def browser_key() -> str:
    """What the roster and the wall tell this browser by: its library's owner on a class server, else the session."""
    return library_owner() or session.id


def browser_of(owner: str, group: str) -> str:
    """The same for a job: its group (the submitter's library owner) on a class server, else its session."""
    return group if group and group != PUBLIC else owner


def touch_roster() -> None:
    """Every run: this browser was active now (not while a new browser's id is still being confirmed: the id can
    still change in that run, which would leave a tile for nobody)."""
    if has_teacher() and PROPOSED_KEY not in st.session_state:
        class_roster().touch(browser_key())


def me() -> Member:
    return class_roster().touch(browser_key())


# ------------------------------------------------------------------------------------------------ the teacher
def unlocked() -> bool:
    """Whether this session holds a live teacher token: its own, or one its browser kept (a reload)."""
    gate = teacher_gate()
    token = st.session_state.get(TOKEN_KEY)
    if token is None:
        token = st.context.cookies.get(COOKIE)
        if isinstance(token, str) and gate.valid(token):
            st.session_state[TOKEN_KEY] = token
    if gate.valid(st.session_state.get(TOKEN_KEY)):
        class_roster().touch(browser_key(), teacher=True)  # the teacher's own browser is not a tile
        return True
    st.session_state.pop(TOKEN_KEY, None)
    return False


def still_unlocked() -> bool:
    """For the wall's refreshes, which do not run the page: whether this session's token is still live (not locked
    from another tab, not expired)."""
    return teacher_gate().valid(st.session_state.get(TOKEN_KEY))


def draw_unlock() -> None:
    """The password field, and only that (a wrong key, or too many: one line)."""
    if not has_teacher():
        message = ("is shorter than 8 characters" if teacher_gate().short_key else "is not set")
        st.info(f"This page is for a class's teacher. This server has no teacher key ({KEY_ENV} {message}).",
                icon=":material/lock:")
        return
    with st.form("class_unlock", clear_on_submit=True, enter_to_submit=True):
        typed = st.text_input("Teacher key", type="password", key=FIELD_KEY, autocomplete="current-password")
        submitted = st.form_submit_button("Unlock", icon=":material/lock_open:")
    if not submitted or not typed:
        return
    try:
        address = st.context.ip_address  # wrong keys are counted per address (a new tab is no fresh start)
        token = teacher_gate().unlock(address if isinstance(address, str) and address else session.id, typed)
    except KeyRefused as err:
        st.error(str(err), icon=":material/lock:")
        return
    finally:
        del typed
    st.session_state[TOKEN_KEY] = token
    st.session_state[WRITE_KEY] = (token, secrets.token_hex(8))
    st.rerun()


def lock() -> None:
    """End this session's token now (the Lock button's callback); the browser forgets it."""
    teacher_gate().lock(st.session_state.pop(TOKEN_KEY, None))
    st.session_state[WRITE_KEY] = ("", secrets.token_hex(8))


def keep_in_browser() -> None:
    """At the end of the Class page: have the browser store (or forget) the token until it says it has."""
    pending = st.session_state.get(WRITE_KEY)
    write, nonce = pending if pending else (None, "")
    done = keep_token(write, nonce, int(teacher_gate().ttl_s))
    if pending and done == nonce:
        st.session_state.pop(WRITE_KEY, None)
