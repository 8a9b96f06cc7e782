"""Where the page views live in a session: one PageState per page (its view, what it last wrote in the URL, a
link's values not checked yet, the lasting messages about them), and the URL writing that remembers what this
session wrote (ui/common/view_state.py tells a link from its own address by it).
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState, get_script_run_ctx

V = TypeVar("V")
_STORE_KEY = "views"  # {scope: PageState}


@dataclass
class Message:
    """A lasting line about a link's value (Markdown with the link's own text escaped): shown while the field still
    holds the value put in its place."""

    text: str
    fallback: Any


@dataclass
class PageState:
    """One page's view in this session, and what binding it needs to remember between runs."""

    view: Any
    written: dict[str, str] = field(default_factory=dict)  # query parameter -> text this session put in the URL
    pending: dict[str, str] = field(default_factory=dict)  # field -> a link's text, checked when the field is bound
    synced: dict[str, Any] = field(default_factory=dict)  # widget key -> the view's value when it was last drawn
    messages: dict[str, Message] = field(default_factory=dict)  # field -> lasting line about its link value
    reset: bool = False  # Reset view was pressed: the next run gives every widget the view's value
    force: bool = False  # this run gives every widget the view's value (a link won, or Reset)
    # widget key -> (the fragment that drew it, None for the page itself; what it held then): see fragment() below
    drawn: dict[str, tuple[str | None, Any]] = field(default_factory=dict)


def fragment_run() -> bool:
    """Whether this is a rerun of fragments only (a link or Reset acted on the full run before it)."""
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def current_fragment() -> str | None:
    """The id of the fragment running now (None: the page's own code, or no script run). Streamlit 1.67 keeps it per
    thread in its ThreadState."""
    try:
        return ThreadState.get().fragment_id
    except RuntimeError:
        return None


def changed_elsewhere(session: Mapping[str, Any], states: Iterable[PageState], fragment: str | None) -> list[str]:
    """The widgets drawn outside `fragment` (by the page or another fragment) that hold another value in session
    than when they were drawn: changes that a rerun of `fragment` alone would leave unshown."""
    return [key for state in states for key, (where, shown) in state.drawn.items()
            if where != fragment and key in session and session[key] != shown]


def fragment(fn: Callable) -> Callable:
    """st.fragment(fn), but a rerun of it alone that also carries a change to a widget outside it reruns the app.
    Streamlit's browser sends the widget changes of one moment as one batch and reruns only the fragment of the first
    (its console: "Multiple different fragmentIds detected in a single batch of widget updates"): a live decoder's
    message and a slider let go together reran the decoder's fragment only, so the slider's value reached the
    session but not the page, nor its link (tests/e2e/test_present.py's Interpolate link, 1 run in 6)."""
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if fragment_run() and changed_elsewhere(st.session_state, _store().values(), current_fragment()):
            st.rerun(scope="app")
        return fn(*args, **kwargs)
    return st.fragment(functools.wraps(fn)(guarded))


def _store() -> dict[str, PageState]:
    return st.session_state.setdefault(_STORE_KEY, {})


def page_state(cls: type) -> PageState:
    store = _store()
    state = store.get(cls.scope)
    if state is None or type(state.view) is not cls:
        state = store[cls.scope] = PageState(cls())
    return state


def kept_view(cls: type[V]) -> V:
    """The view this session keeps for cls's page (its defaults if the page was never opened)."""
    return page_state(cls).view


def reset_view(cls: type) -> None:
    """Put the page's view back to its defaults (a button's callback: the widgets follow on the next run, and the
    address loses the page's parameters)."""
    state = page_state(cls)
    state.view, state.pending, state.messages, state.reset = cls(), {}, {}, True


def link_params(cls: type) -> dict[str, str]:
    names = cls.params()
    return {name: st.query_params[name] for name in names if name in st.query_params}


def write_url(state: PageState, name: str | None, text: str | None) -> None:
    """Put name=text in the URL (or take name out for None), and remember it as this session's own writing."""
    if name is None:
        return
    if text is None:
        if name in st.query_params:
            del st.query_params[name]
        state.written.pop(name, None)
    else:
        if st.query_params.get(name) != text:
            st.query_params[name] = text
        state.written[name] = text
