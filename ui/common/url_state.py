"""A page's shareable state in the query string: one small mechanism for every page.

bind(key, param, default, ...) gives a widget its value: from the link (?param=...) the first time the widget's key
is not in the session, validated against the widget's options or range, else the default; and writes the value back
to the URL on every run (a value equal to the default leaves the URL), so the address bar is always a link to the
view. The widget is then drawn with key=... and no value of its own (the session holds it).

A bad or stale value in a link (an index out of range, an unknown option, a word where a number belongs) gives one
lasting warning where the widget is, kept until the user changes that control, and the default: never an exception.
Only plain choices go in a link: names of shipped, library or session models, numbers and options, never a session
id or a secret.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from ui.common.text import plain

MESSAGES_KEY = "url_messages"  # {param: {"text": ..., "key": widget key, "fallback": value shown instead}}
WRITTEN_KEY = "url_written"  # {param: text} that this session put in the URL for a multiselect (not a link's)


# ------------------------------------------------------------------------------------------------ encoding
def encode(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return format(value, ".6g")
    return str(value)


def parse(raw: str, default: Any, options: Sequence | None = None, low: float | None = None,
          high: float | None = None) -> tuple[Any, str | None]:
    """(value, None) when raw is a valid value of default's type (in options, or within [low, high]); else
    (default, why not). Options are compared by their encoded text, so ?kind=box finds "box" and ?d=16 finds 16."""
    raw = raw.strip()
    if options is not None:
        for option in options:
            if encode(option) == raw:
                return option, None
        shown = ", ".join(encode(o) for o in list(options)[:8]) + (", ..." if len(options) > 8 else "")
        return default, f"is not one of the choices ({shown})"
    try:
        if isinstance(default, bool):
            if raw not in ("0", "1"):
                raise ValueError
            value: Any = raw == "1"
        elif isinstance(default, int):
            value = int(raw)
        elif isinstance(default, float):
            value = float(raw)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
        else:
            value = raw
    except ValueError:
        return default, "is not a valid value"
    if (low is not None and value < low) or (high is not None and value > high):
        return default, f"is out of range ({encode(low)} to {encode(high)})"
    return value, None


# ------------------------------------------------------------------------------------------------ the URL
def write(param: str, value: Any, default: Any) -> None:
    """Put param=value in the URL, or take param out when value is the default (short links)."""
    if value is None or value == default:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != encode(value):
        st.query_params[param] = encode(value)


def from_link(param: str) -> str | None:
    return st.query_params.get(param)


# ------------------------------------------------------------------------------------------------ messages
def warn(param: str, text: str, key: str, fallback: Any) -> None:
    """Remember a message about the link's param; show() draws it while session_state[key] is still fallback."""
    st.session_state.setdefault(MESSAGES_KEY, {})[param] = {"text": text, "key": key, "fallback": fallback}


def show(param: str, container=None) -> None:
    """The lasting warning about param, if the control it names still shows the value put in its place."""
    messages = st.session_state.get(MESSAGES_KEY, {})
    message = messages.get(param)
    if message is None:
        return
    if st.session_state.get(message["key"]) != message["fallback"]:
        messages.pop(param, None)  # the user has chosen something else: the message has done its job
        return
    (container or st).warning(plain(message["text"]), icon=":material/link_off:")  # a link's words, as text


def bad_value(param: str, raw: str, why: str, fallback_text: str, key: str, fallback: Any) -> None:
    warn(param, f"The link's {param}={raw[:40]} {why}; showing {fallback_text}.", key, fallback)


# ------------------------------------------------------------------------------------------------ widgets
def bind(key: str, param: str, default: Any, *, options: Sequence | None = None, low: float | None = None,
         high: float | None = None, read_link: bool = True) -> str:
    """Make session_state[key] the widget's value (from the link the first time, else the default) and keep the URL
    in step. Returns key, for the widget: st.slider("Steps", 3, 21, key=bind("interpolate_steps", "steps", 9,
    low=3, high=21)). A value that no longer fits (options changed) is put back to the default, silently.
    read_link=False: the link's value is not for this widget (e.g. a strength meant for another corruption)."""
    if key not in st.session_state:
        value, raw = default, from_link(param) if read_link else None
        if raw is not None:
            value, why = parse(raw, default, options, low, high)
            if why:
                bad_value(param, raw, why, f"the default ({encode(default)})", key, default)
        st.session_state[key] = value
    elif not _fits(st.session_state[key], options, low, high):
        st.session_state[key] = default
    write(param, st.session_state[key], default)
    show(param)
    return key


def bind_many(key: str, param: str, default: Sequence, options: Sequence) -> str:
    """bind() for a multiselect: its choices in the link as ?param=a,b (an empty choice as ?param=). A link that
    names a choice not on offer (a model that no longer exists, a dataset not on this machine) gives the lasting
    warning and the default. Widgets keyed per dataset or image size read the link only if this session did not
    write the value there itself (switching dataset must not read the old dataset's choice as a link)."""
    default = [o for o in default if o in options]
    written = st.session_state.setdefault(WRITTEN_KEY, {})
    if key not in st.session_state:
        value, raw = list(default), from_link(param)
        if raw is not None and raw != written.get(param):
            value, unknown = _parse_many(raw, options)
            if unknown:
                why = f"names {', '.join(repr(u[:40]) for u in unknown[:3])}, not on offer here"
                bad_value(param, raw, why, "the default", key, list(default))
                value = list(default)
        st.session_state[key] = value
    elif not all(v in options for v in st.session_state[key]):
        st.session_state[key] = [v for v in st.session_state[key] if v in options]  # e.g. a model deleted since
    value = list(st.session_state[key])
    write(param, None if value == default else ",".join(encode(v) for v in value), None)
    written[param] = st.query_params.get(param)
    show(param)
    return key


def _parse_many(raw: str, options: Sequence) -> tuple[list, list[str]]:
    """(the options raw names, in its order, each once; the names that are not options)."""
    by_text = {encode(o): o for o in options}
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    chosen = list(dict.fromkeys(by_text[p] for p in parts if p in by_text))
    return chosen, [p for p in parts if p not in by_text]


def _fits(value: Any, options: Sequence | None, low: float | None, high: float | None) -> bool:
    if options is not None:
        return value in options
    try:
        return (low is None or value >= low) and (high is None or value <= high)
    except TypeError:
        return False
