"""Prefetch Plotly's browser code while the reader is on a page without charts (Home), so the first chart page they
open does not wait for it: a tiny inline component (st.components.v2, no iframe, nothing drawn).

Streamlit loads plotly.js (its PlotlyChart chunk, ~4.7 MB) only when a page first shows a Plotly chart; loading and
compiling it took ~1.5-3 s of a 2-core laptop's first chart page (bench/startup.py). When the browser is idle
(requestIdleCallback, so the page itself renders first), this adds a <link rel="modulepreload"> for the very module
file Streamlit would import later: the browser fetches and parses it (off the main thread where it can) but does not
run it, so a click meanwhile is not held up; Streamlit's own import of the same URL then finds it in the module map.

The chunk's file name carries a build hash, so it is looked up in the installed Streamlit's static folder; a
Streamlit without such a file (another build layout) gets no prefetch, and nothing else changes.
"""
from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

_JS = """
export default function(component) {
  const { data } = component;
  if (!data || !data.path || window.__aelabPrefetched?.[data.path]) return;
  window.__aelabPrefetched = { ...(window.__aelabPrefetched || {}), [data.path]: true };
  const url = new URL(data.path, document.baseURI).href;
  const start = () => import(url).catch(() => { window.__aelabPrefetched[data.path] = false; });
  if (window.requestIdleCallback) window.requestIdleCallback(start, { timeout: 4000 });
  else setTimeout(start, 500);
}
"""

_component = st.components.v2.component("aelab_prefetch", js=_JS)


@functools.cache
def plotly_chunk_path() -> str | None:
    """The PlotlyChart chunk's path relative to the app's root URL ("static/js/PlotlyChart.<hash>.js"), or None."""
    static = Path(st.__file__).parent / "static" / "static" / "js"
    found = sorted(static.glob("PlotlyChart.*.js"))
    return f"static/js/{found[0].name}" if len(found) == 1 else None


def prefetch_plotly() -> None:
    """Have the browser load Plotly's code when it is idle (once per page load; nothing shown)."""
    path = plotly_chunk_path()
    if path is not None:
        _component(key="aelab_prefetch_plotly", data={"path": path}, height=0)
