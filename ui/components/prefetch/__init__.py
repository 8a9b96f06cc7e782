"""Prefetch the browser code of charts and widgets while the reader is on Home, so the first page they open does not
wait for it: a tiny inline component (st.components.v2, no iframe, nothing drawn).

Streamlit loads each element type's code (a JavaScript chunk) the first time a page shows one: plotly.js (its
PlotlyChart chunk, ~4.7 MB) when a page first shows a Plotly chart, which took ~1.5-3 s of a 2-core laptop's first
chart page (bench/startup.py), and a smaller chunk per widget (slider, number input, radio...), each a skeleton
meanwhile (~0.1-0.3 s each on the Latent page's first visit). When the browser is idle
(requestIdleCallback, so the page itself renders first), this imports the very module files Streamlit would import
later, one at a time, each when the browser is idle again; the module map keeps them, and Streamlit's own import of
the same URL resolves at once. A click while one loads waits for that one (bench/startup.py --pause says how long).

A chunk's file name carries a build hash, so it is looked up in the installed Streamlit's static folder; a chunk not
found there (another Streamlit's build layout) is not prefetched, and nothing else changes.
"""
from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

_JS = """
export default function(component) {
  const { data } = component;
  window.__aelabPrefetched = window.__aelabPrefetched || {};
  const queue = (Array.isArray(data) ? data : []).filter((path) => !(path in window.__aelabPrefetched));
  const idle = (task) => window.requestIdleCallback ? window.requestIdleCallback(task, { timeout: 4000 })
                                                    : setTimeout(task, 200);
  const next = () => {
    const path = queue.shift();
    if (path === undefined) return;
    window.__aelabPrefetched[path] = false;
    // Resolved as Streamlit resolves its own imports: beside its entry script (right under a baseUrlPath too)
    const entry = document.querySelector('script[type="module"][src*="/static/js/index."]');
    const url = entry ? new URL(path.split("/").pop(), entry.src).href : new URL(path, document.baseURI).href;
    import(url)
      .then(() => { window.__aelabPrefetched[path] = true; })
      .catch(() => {})
      .finally(() => idle(next));
  };
  idle(next);
}
"""

_component = st.components.v2.component("aelab_prefetch", js=_JS)

# The element types of the pages opened most (Latent, Traverse, Interpolate, Generate, Train), Plotly's first (most
# of the bytes). Not every type: each chunk costs the browser CPU too, which on a class server's own machine (or a
# student's old laptop) competes with the pages (bench/classroom.py runs 20 browsers on 2 cores).
CHUNKS = ("PlotlyChart", "Slider", "NumberInput", "Radio", "ButtonGroup", "Checkbox", "BidiComponent",
          "ComponentInstance", "Progress")


@functools.cache
def chunk_paths(names: tuple[str, ...] = CHUNKS) -> tuple[str, ...]:
    """Each named chunk's path relative to the app's root URL ("static/js/<name>.<hash>.js"), where exactly one file
    of that name is in the installed Streamlit; the others are left out."""
    static = Path(st.__file__).parent / "static" / "static" / "js"
    paths = []
    for name in names:
        found = sorted(static.glob(f"{name}.*.js"))
        if len(found) == 1:
            paths.append(f"static/js/{found[0].name}")
    return tuple(paths)


def prefetch_chunks() -> None:
    """Have the browser load the pages' chart and widget code when it is idle (once per page load; nothing shown)."""
    paths = chunk_paths()
    if paths:
        # A list, not a dict holding one: Streamlit looks for dataframes in a dict's values, and that check
        # imports pandas and pyarrow (~0.5 s of Home's first run, measured with py-spy)
        _component(key="aelab_prefetch", data=list(paths), height=0)
