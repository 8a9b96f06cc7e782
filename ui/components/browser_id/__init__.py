"""The browser id: a tiny inline component (st.components.v2, no iframe) that keeps a class server's per-browser
library id in a cookie, so a reload or a new tab of the same browser finds its library again.

The server proposes a new random id when the session's first request carried none (st.context.cookies); the
component stores it, or, if another tab of this browser stored one meanwhile, keeps that one, and reports which id
the browser holds. The id travels only in the session's own connection and the cookie (SameSite=Strict, one year):
never in a URL, a link or a log.
"""
from __future__ import annotations

import streamlit as st

COOKIE = "aelab_id"
KEY = "browser_id"
MAX_AGE_S = 365 * 24 * 3600

_JS = """
export default function(component) {
  const { data, setStateValue } = component;
  const name = data.name;
  const found = document.cookie.split('; ').find((c) => c.startsWith(name + '='));
  const held = found ? found.slice(name.length + 1) : '';
  const id = /^[0-9a-f]{32,64}$/.test(held) ? held : data.proposed;
  if (id !== held) {
    document.cookie = `${name}=${id}; path=/; max-age=${data.maxAge}; SameSite=Strict`
      + (location.protocol === 'https:' ? '; Secure' : '');
  }
  setStateValue('id', id);
}
"""

_component = st.components.v2.component("aelab_browser_id", js=_JS)


def keep_browser_id(proposed: str) -> str | None:
    """Ask the browser to keep proposed as its id (unless it holds one already); returns the id the browser reports
    holding, or None until it has answered."""
    result = _component(key=KEY, data={"name": COOKIE, "proposed": proposed, "maxAge": MAX_AGE_S}, height=0,
                        on_id_change=lambda: None)
    value = getattr(result, "id", None)
    return value if isinstance(value, str) else None
