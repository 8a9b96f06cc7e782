"""One browser history entry per page visit: a tiny inline component (st.components.v2, no iframe, nothing drawn).

Streamlit pushes a history entry whenever the server changes the query string, so every slider step of a view
(which the address bar follows) was one more press of Back. This turns a push that keeps the page's path (a change
of the query string) into a replace of the current entry, once per browser tab: a page visit is one entry whose
address is its latest view, and Back and Forward step between page visits. A push to another path (a page change)
stays a push. Streamlit replaces entries itself while it answers Back or Forward, so those are untouched.
"""
from __future__ import annotations

import streamlit as st

_JS = """
export default function() {
  if (window.__aelabHistory) return;
  window.__aelabHistory = true;
  const push = window.history.pushState.bind(window.history);
  const replace = window.history.replaceState.bind(window.history);
  window.history.pushState = function(state, title, url) {
    try {
      const next = new URL(url, window.location.href);
      if (next.pathname === window.location.pathname) return replace(state, title, url);
    } catch (e) { /* an address the browser cannot read: as the browser would */ }
    return push(state, title, url);
  };
}
"""

_component = st.components.v2.component("aelab_history", js=_JS)


def one_entry_per_page_visit() -> None:
    """Install the history rule in this tab (drawn on every run; it acts once per page load)."""
    _component(key="aelab_history", height=0)
