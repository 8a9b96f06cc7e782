"""The tab's training job: a tiny inline component (st.components.v2, no iframe) that keeps the id of the training
job this browser tab watches in the tab's sessionStorage, so a reload of the tab finds its job again.

sessionStorage belongs to one tab: it survives a reload, is not shared with other tabs and never leaves the browser,
so the job id (the capability to watch and cancel the job) is never in a URL or a shared link. The server says what
the tab should hold (write: an id, "" to forget it, null to leave it); while it has no job of its own it asks the tab
to report what it holds (report), which the tab does only when it holds an id.
"""
from __future__ import annotations

import streamlit as st

STORAGE = "aelab_job"
KEY = "tab_job"

_JS = """
export default function(component) {
  const { data, setStateValue } = component;
  let held = '';
  try {
    if (typeof data.write === 'string') {
      if (data.write) { sessionStorage.setItem(data.name, data.write); } else { sessionStorage.removeItem(data.name); }
    }
    held = sessionStorage.getItem(data.name) || '';
  } catch (e) { return; }  // storage switched off: a reload simply does not find the job
  if (data.report && /^[0-9a-f]{32}$/.test(held)) {
    setStateValue('job', held);
  }
}
"""

_component = st.components.v2.component("aelab_tab_job", js=_JS)


def reported_job() -> str | None:
    """The job id the tab reported holding (after a reload), or None until it has (or when it holds none)."""
    state = st.session_state.get(KEY)
    value = state.get("job") if hasattr(state, "get") else getattr(state, "job", None)
    return value if isinstance(value, str) else None


def keep_tab_job(write: str | None, report: bool) -> None:
    """Have the tab hold write ("" forgets its job, None leaves it) and, if report, tell the server what it holds
    (a rerun follows; read it with reported_job())."""
    _component(key=KEY, data={"name": STORAGE, "write": write, "report": report}, height=0,
               on_job_change=lambda: None)
