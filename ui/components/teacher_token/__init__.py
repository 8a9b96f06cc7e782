"""The teacher's token in the browser: a tiny inline component (st.components.v2, no iframe) that stores the token
the server issued for the teacher key in a cookie, or deletes it (Lock), so a reload of the Class page finds the
wall unlocked until the token expires, and the key itself is never kept anywhere.

The token reaches the browser only in the session's own connection, as the component's data, once (until the
browser says it stored it): it is never in a URL, never in the page's HTML and never in a log. The cookie is
SameSite=Strict (Secure on https) and lives as long as the token. The server reads it at a new session's start
(st.context.cookies) and checks it against the tokens it issued (aelab.runtime.teacher).
"""
from __future__ import annotations

import streamlit as st

COOKIE = "aelab_class"
KEY = "teacher_token"

_JS = """
export default function(component) {
  const { data, setStateValue } = component;
  if (typeof data.write !== 'string') return;
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  const value = data.write ? `${data.write}; max-age=${data.maxAge}` : '; max-age=0';
  document.cookie = `${data.name}=${value}; path=/; SameSite=Strict${secure}`;
  setStateValue('done', data.nonce);
}
"""

_component = st.components.v2.component("aelab_teacher_token", js=_JS)


def keep_token(write: str | None, nonce: str, max_age_s: int) -> str | None:
    """Have the browser store write as the token cookie ("" deletes it; None: nothing to do). Returns the nonce of
    the last write the browser reported done (a rerun follows each report)."""
    result = _component(key=KEY, data={"name": COOKIE, "write": write, "nonce": nonce, "maxAge": int(max_age_s)},
                        height=0, on_done_change=lambda: None)
    value = getattr(result, "done", None)
    return value if isinstance(value, str) else None
