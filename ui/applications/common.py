"""What the Applications sections share: the section picker, the shipped models and bundled datasets they use, and
a progress bar around a cached computation."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from aelab.errors import AelabError
from aelab.views.pages import ApplicationsView
from ui.common import cache
from ui.common.selection import bundled_or_cached_dataset, load_model_key
from ui.common.view_state import Bound

SECTIONS = {"compression": "Compression", "superres": "Super-resolution", "watermark": "Watermark removal",
            "memorisation": "Memorisation"}
SECTION_KEY = "apps_section"


def page_view() -> Bound[ApplicationsView]:
    """The page's view (pages/applications.py opens it first in every run)."""
    return Bound(ApplicationsView)


def section_picker() -> str:
    return page_view().radio("section", "Section", list(SECTIONS), key=SECTION_KEY, format_func=SECTIONS.get,
                             horizontal=True, label_visibility="collapsed")


def dataset(name: str):
    """A bundled dataset (mnist-5k or shapes): the sections work on these whatever the sidebar holds."""
    return bundled_or_cached_dataset(name)


def records(names: list[str]) -> list | None:
    """The shipped models' records, or None with a message when one is missing (pretrained/ not built)."""
    try:
        return [load_model_key(f"pretrained/{name}") for name in names]
    except AelabError as err:
        st.warning(f"A shipped model is missing or broken ({err}); rebuild it with "
                   f"`python -m aelab build-pretrained --only {','.join(names)}`.", icon=":material/broken_image:")
        return None


def cached(identity, what: str, params: Any, compute: Callable[[Callable[[float, str], None]], Any],
           text: str) -> Any:
    """result_store's value for (identity, what, params), computed with a progress bar the first time."""
    store = cache.result_store()
    value = store.get(identity, what, params)
    if value is None:
        bar = st.progress(0.0, text=text)
        value = store.get_or_compute(identity, what, params,
                                     lambda: compute(lambda f, t: bar.progress(min(max(f, 0.0), 1.0), text=t)))
        bar.empty()
    return value


def parse_list(text: str, what: str) -> list[float] | None:
    """Comma-separated numbers from a text box, or None after an error message."""
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        st.error(f"{what}: write numbers separated by commas, e.g. 2, 4, 8 (got {text!r}).")
        return None
    return values
