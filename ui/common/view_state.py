"""One typed view per page, bound to its widgets and to the address bar in one way, for every page, the sidebar and
the Train form alike.

A view is a frozen dataclass of what a person set on a page, nothing derived (ui/common/views.py declares them all:
that file is the allowlist of what may enter a link). Each field names its query parameter (or none: kept across
pages, never in a link) and its codec (ui/common/codecs.py).

A run of a page:
- ``bound = open_view(TraverseView)`` first: which view this run shows. The view kept in the session for that page,
  unless the address carries parameters of that page that differ from what this session last wrote there: a shared
  link, or the browser's Back and Forward. Then the link wins: each field from its text (checked when it is bound,
  against the limits known then), the others at their defaults, because a link says the whole view.
- ``bound.slider("k", ...)`` and the other widgets: the widget renders from the view (its state is set whenever the
  view changed elsewhere: a link, Reset view, a callback, another page) and writes back to it; the address follows,
  defaults left out, so it is always a link to what is shown.
- ``bound.value("z", ...)`` for what no Streamlit widget holds (a live decoder's released slider, a drawn mask, a
  selection): the view's value, or the link's text checked against the limits given then.
- ``bound.set(...)`` from callbacks and components; ``reset_view(scope)`` puts a page back to its defaults;
  ``open_link(cls, text)`` opens a link's text as the address would (a lesson file's view, uploaded).

A link's value that does not parse or fit gives one lasting line where its control is, until that control changes,
and the default; link text is shown as plain text, never as Markdown or HTML.

Leaving a page and coming back restores its view, because the view lives in the session, not in widget state
(Streamlit drops a widget's state at the end of the first run of another page). The browser keeps one history entry
per page visit (ui/components/history), so Back and Forward step between page visits, each with its address.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl

import streamlit as st

from aelab.views.base import MAX_QUERY, View, field_codec, field_default, field_param, param
from aelab.views.codecs import Codec, LinkValueError
from ui.common.legacy_pages import leave_legacy_mode
from ui.common.text import plain
from ui.common.view_store import (
    Message,
    PageState,
    current_fragment,
    fragment_run,
    kept_view,
    link_params,
    page_state,
    reset_view,
    write_url,
)

__all__ = ["Bound", "PageState", "View", "kept_view", "open_link", "open_view", "page_state", "param", "reset_view"]

V = TypeVar("V")
_UNSET: Any = object()


def open_link(cls: type, query: str) -> list[str]:
    """Open the view that a link's query text says (a lesson file's, read back) as the address would open it: on the
    next run each of its fields comes from that text, checked when it is bound (a bad value gives its lasting line
    and the default), every other field at its default. Returns a line for each parameter the page does not have."""
    if len(query) > MAX_QUERY:
        return [f"the view is longer than {MAX_QUERY} characters"]
    state = page_state(cls)
    fields, pending, unknown = cls.params(), {}, []
    for name, raw in parse_qsl(query.lstrip("?"), keep_blank_values=True):
        if name in fields:
            pending[fields[name]] = raw
        else:
            unknown.append(f"{name}= is not a setting of this page")
    state.view, state.messages, state.pending, state.reset = cls(), {}, pending, True
    return unknown


def open_view(cls: type[V]) -> Bound[V]:
    """The page's view for this run (see the module's docstring): the kept one, or the link's when the address
    carries this page's parameters that this session did not write. The address is brought up to date. A page calls
    it first: a fresh server's first request may run the page file alone (ui/common/legacy_pages.py)."""
    if cls.scope != "app":
        leave_legacy_mode()
    state = page_state(cls)
    link = link_params(cls)
    state.force, state.reset = state.reset, False
    if link and link != state.written and not state.force:
        fields = cls.params()
        state.view, state.messages, state.force = cls(), {}, True
        state.pending = {fields[name]: raw for name, raw in link.items()}
    state.written = dict(link)
    bound = Bound(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get("param") and f.name not in state.pending:
            bound._write(f.name, getattr(state.view, f.name), f.default)
    return bound


# --------------------------------------------------------------------------------------------- binding
@dataclass(frozen=True)
class Limits:
    """What a value must be on this run: one of options, or within [low, high], and check(value) -> why not."""

    options: Sequence | None = None
    low: Any = None
    high: Any = None
    check: Callable[[Any], str | None] | None = None

    def why_not(self, value: Any, codec: Codec) -> str | None:
        if self.options is not None:
            if codec.many:
                unknown = [v for v in value if v not in self.options]
                if unknown:
                    names = ", ".join(repr(codec.item_text(u))[:40] for u in unknown[:3])
                    return f"names {names}, not on offer here"
            elif value not in self.options:
                shown = ", ".join(codec.format(o) or "" for o in list(self.options)[:8])
                return f"is not one of the choices ({shown}{', ...' if len(self.options) > 8 else ''})"
        try:
            if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
                return f"is out of range ({codec.format(self.low)} to {codec.format(self.high)})"
        except TypeError:
            return "is not a valid value"
        return self.check(value) if self.check is not None else None


class Bound(Generic[V]):
    """A page's view bound for this run. Holds no state of its own (a fragment may call it in a later run): the view
    lives in the session."""

    def __init__(self, cls: type[V]):
        self.cls = cls
        self.scope = cls.scope

    # ------------------------------------------------------------------------------------------ reading
    @property
    def view(self) -> V:
        return page_state(self.cls).view

    def value(self, name: str, *, default: Any = _UNSET, options: Sequence | None = None, low: Any = None,
              high: Any = None, check: Callable[[Any], str | None] | None = None,
              fallback_text: str | None = None, refused: str | None = None,
              link_check: Callable[[Any], str | None] | None = None) -> Any:
        """The field's value on this run: a pending link text parsed and checked (a bad one: a lasting message and
        the default), else the kept value, put back to the default silently when it no longer fits (options changed:
        another dataset, another model). default: the page's default for a field declared with None; fallback_text:
        how the message names the default; refused: what it says of a value not among the options; link_check: a
        check of a link's value only (a typed text field keeps what was typed, and its page says what is wrong)."""
        state = page_state(self.cls)
        default = self._default(name, default)
        if refused is not None and options is not None:
            check, options = self._refusing(options, refused, check), None
        limits, codec = Limits(options, low, high, check), field_codec(self.cls, name)
        if name in state.pending:
            raw = state.pending.pop(name)
            try:
                value = codec.parse(raw)
                why = limits.why_not(value, codec) or (link_check(value) if link_check is not None else None)
            except LinkValueError as err:
                value, why = default, str(err)
            if why is not None:
                shown = fallback_text or (f"the default ({codec.format(default)})"
                                          if default is not None and not codec.many else "the default")
                value = default
                self._store(name, value, default)
                self._message(name, f"The link's {field_param(self.cls, name)}={plain(raw[:40])} {plain(why)}; "
                                    f"showing {plain(shown)}.", getattr(state.view, name))
        else:
            value = getattr(state.view, name)
            if value is None:
                value = default
            elif codec.many and options is not None:  # e.g. a model deleted since: the others stay chosen
                value = tuple(v for v in value if v in options)
            elif limits.why_not(value, codec) is not None:
                value = default
        self._store(name, value, default)
        return value

    @staticmethod
    def _refusing(options: Sequence, refused: str, check: Callable[[Any], str | None] | None):
        allowed = list(options)

        def why_not(value: Any) -> str | None:
            if value not in allowed:
                return refused
            return check(value) if check is not None else None
        return why_not

    def has_message(self, name: str) -> bool:
        """Whether a link's value of the field was refused on this run or earlier, and its line still stands."""
        return name in page_state(self.cls).messages

    def drop_pending(self, *names: str) -> None:
        """Forget a link's values of these fields (they belong to something the page does not show: a knob of
        another variant)."""
        state = page_state(self.cls)
        for name in names:
            if state.pending.pop(name, None) is not None:
                write_url(state, field_param(self.cls, name), None)

    def set(self, **changes: Any) -> None:
        """Change fields of the view (callbacks, a component's released value); the URL follows."""
        for name, value in changes.items():
            self.put(name, value)

    def put(self, name: str, value: Any, default: Any = _UNSET) -> None:
        """Change one field, knowing the page's default for it (so a value equal to it stays out of the link)."""
        page_state(self.cls).pending.pop(name, None)
        self._store(name, value, self._default(name, default))

    def show(self, name: str, where: Any = None) -> None:
        """The lasting line about the field's link value, while the field still holds what was put in its place."""
        state = page_state(self.cls)
        message = state.messages.get(name)
        if message is None:
            return
        if getattr(state.view, name) != message.fallback:  # the person has chosen: the message has done its job
            state.messages.pop(name, None)
            return
        (where or st).warning(message.text, icon=":material/link_off:")  # its link text escaped when written

    # ------------------------------------------------------------------------------------------ widgets
    def widget(self, name: str, draw: Callable[..., Any], *args: Any, key: str | None = None,
               default: Any = _UNSET, options: Sequence | None = None, low: Any = None, high: Any = None,
               to_widget: Callable[[Any], Any] | None = None, from_widget: Callable[[Any], Any] | None = None,
               show_message: bool = True, fallback_text: str | None = None, refused: str | None = None,
               link_check: Callable[[Any], str | None] | None = None, **kwargs: Any) -> Any:
        """Draw a Streamlit widget bound to the field: draw(*args, key=..., **kwargs). Its state is set from the view
        whenever the view changed elsewhere; what it returns becomes the view's."""
        value = self.value(name, default=default, options=options, low=low, high=high, fallback_text=fallback_text,
                           refused=refused, link_check=link_check)
        key = key or f"{self.scope}_{name}"
        self.seed(key, to_widget(value) if to_widget else value)
        result = self.drew(key, draw(*args, key=key, **kwargs))
        page_state(self.cls).drawn[key] = (current_fragment(), result)  # (view_store.fragment reads it)
        new = from_widget(result) if from_widget else result
        if new != value:
            self._store(name, new, self._default(name, default))
        if show_message:
            self.show(name)
        return new

    def slider(self, name: str, label: str, low: Any, high: Any, *, where: Any = st, **kwargs: Any) -> Any:
        return self.widget(name, where.slider, label, low, high, low=low, high=high, **kwargs)

    def number_input(self, name: str, label: str, low: Any, high: Any, *, where: Any = st, **kwargs: Any) -> Any:
        return self.widget(name, where.number_input, label, low, high, low=low, high=high, **kwargs)

    def selectbox(self, name: str, label: str, options: Sequence, *, where: Any = st, **kwargs: Any) -> Any:
        return self.widget(name, where.selectbox, label, list(options), options=list(options), **kwargs)

    def radio(self, name: str, label: str, options: Sequence, *, where: Any = st, **kwargs: Any) -> Any:
        return self.widget(name, where.radio, label, list(options), options=list(options), **kwargs)

    def select_slider(self, name: str, label: str, options: Sequence, *, where: Any = st, **kwargs: Any) -> Any:
        return self.widget(name, where.select_slider, label, list(options), options=list(options), **kwargs)

    def segmented_control(self, name: str, label: str, options: Sequence, *, where: Any = st, **kwargs: Any) -> Any:
        """A segmented control that always has a choice (clicking the chosen segment again keeps it selected)."""
        key = kwargs.pop("key", None) or f"{self.scope}_{name}"
        default = kwargs.pop("default", _UNSET)
        kept = self.value(name, default=default, options=list(options))

        def keep_a_choice() -> None:  # (the view's choice when the segment is clicked, not when it was drawn)
            if st.session_state.get(key) is None:
                st.session_state[key] = getattr(self.view, name) or (kept if default is _UNSET else default)
        return self.widget(name, where.segmented_control, label, list(options), options=list(options), key=key,
                           default=default, on_change=keep_a_choice,
                           from_widget=lambda chosen: kept if chosen is None else chosen, **kwargs)

    def multiselect(self, name: str, label: str, options: Sequence, *, where: Any = st, **kwargs: Any) -> Any:
        return self.widget(name, where.multiselect, label, list(options), options=list(options),
                           to_widget=list, from_widget=tuple, **kwargs)

    def toggle(self, name: str, label: str, *, where: Any = st, **kwargs: Any) -> bool:
        return self.widget(name, where.toggle, label, options=(False, True), **kwargs)

    def checkbox(self, name: str, label: str, *, where: Any = st, **kwargs: Any) -> bool:
        return self.widget(name, where.checkbox, label, options=(False, True), **kwargs)

    def text_input(self, name: str, label: str, *, where: Any = st, **kwargs: Any) -> str:
        return self.widget(name, where.text_input, label, **kwargs)

    # ------------------------------------------------------------------------------------------ composite controls
    def seed(self, key: str, shown: Any) -> None:
        """Before drawing a widget keyed `key` that shows `shown` (the view's value, or the part of it the widget
        shows: an image picker's label): set the widget's state to it if the view changed since the widget was last
        drawn (a link, Reset, a callback, another page), or the widget lost its state (the page was left). A choice
        the view does not record (a canvas chosen but not drawn on yet) is left alone."""
        state = page_state(self.cls)
        forced = state.force and not fragment_run()
        # The person changed the widget (it holds another value than the view, which has not changed since it was
        # drawn), or a test gave it a value before its first draw: the widget keeps it and gives it to the view.
        changed_here = (key in st.session_state and st.session_state[key] != shown
                        and (key not in state.synced or state.synced[key] == shown))
        if forced or not changed_here:
            # Said again even when it is the same value: a widget that the browser mounts in a run that did not set
            # it would show its own default (a number input its minimum) while the server holds the view's value.
            st.session_state[key] = shown
        state.synced[key] = shown

    def widget_value(self, key: str, default: Any = None) -> Any:
        """What a widget of a composite control holds now (its state, before it is drawn in this run)."""
        return st.session_state.get(key, default)

    def put_widget(self, key: str, value: Any) -> None:
        """Give a widget of a composite control a value, before it is drawn in this run."""
        st.session_state[key] = value

    def changed(self, key: str, value: Any) -> bool:
        """Whether the view's value for a control made of several widgets (an image picker) changed since the
        control was last drawn (call drew(key, value) after drawing it): then its widgets are set from the view."""
        state = page_state(self.cls)
        return (state.force and not fragment_run()) or state.synced.get(key, _UNSET) != value

    def drew(self, key: str, value: Any) -> Any:
        """After drawing a widget whose value became the view's: remember that value as what the widget shows (so
        the next run does not take the view's new value for a change made elsewhere). Returns value."""
        page_state(self.cls).synced[key] = value
        return value

    def event(self, key: str, element: str, value: Any) -> bool:
        """Whether an element that reports events (a chart's selection) reports something new, made by the person on
        this very element: True when the same element (its identity: what it drew) reports a value other than on the
        previous run. A redrawn element (another map, the view's own selection shown on it) starts afresh, and that
        is not the person clearing anything."""
        synced = page_state(self.cls).synced
        before = synced.get(key)
        synced[key] = (element, value)
        return before is not None and before[0] == element and before[1] != value

    # ------------------------------------------------------------------------------------------ internals
    def _default(self, name: str, default: Any) -> Any:
        if default is not _UNSET:
            return default
        return field_default(self.cls, name)

    def _store(self, name: str, value: Any, default: Any) -> None:
        """Keep value in the view (None for a page-given default it equals) and write the URL."""
        state = page_state(self.cls)
        declared = field_default(self.cls, name)
        kept = None if declared is None and value == default else value
        if getattr(state.view, name) != kept:
            state.view = dataclasses.replace(state.view, **{name: kept})
        self._write(name, value, default if default is not None else declared)

    def _write(self, name: str, value: Any, default: Any) -> None:
        codec = field_codec(self.cls, name)
        text = None if value is None or value == default else codec.format(value)
        write_url(page_state(self.cls), field_param(self.cls, name), text)

    def _message(self, name: str, text: str, fallback: Any) -> None:
        page_state(self.cls).messages[name] = Message(text, fallback)
