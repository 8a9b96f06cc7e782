"""A page's view: a frozen dataclass of what a person set on it, whose fields name their link parameter and codec.

The app binds views to widgets and to the address bar (ui/common/view_state.py); a lesson file stores one, and the
CLI reads one from a query string (parse_query). Nothing here knows Streamlit.
"""
from __future__ import annotations

import dataclasses
from dataclasses import field
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from aelab.views.codecs import Codec, LinkValueError, codec_for

MAX_QUERY = 2000  # the longest link view text read (a link the app writes stays under this)


def param(name: str | None, default: Any = None, codec: Codec | None = None) -> Any:
    """A view field: its query parameter (None: kept across pages, never in a link), its default (None for a field
    whose default the page gives when it binds it: the dataset's size, the model's dimensions...) and its codec (from
    the annotation's type when not given)."""
    return field(default=default, metadata={"param": name, "codec": codec})


class View:
    """Base of the views: scope names the page (its URL path; "app" for the sidebar's dataset and model)."""

    scope: ClassVar[str]

    @classmethod
    def params(cls) -> dict[str, str]:
        """{query parameter: field name} of the fields that travel in a link."""
        return {f.metadata["param"]: f.name for f in dataclasses.fields(cls) if f.metadata.get("param")}


def _field(cls: type, name: str) -> dataclasses.Field:
    return {f.name: f for f in dataclasses.fields(cls)}[name]


def field_codec(cls: type, name: str) -> Codec:
    meta = _field(cls, name)
    return meta.metadata.get("codec") or codec_for(meta.type)


def field_param(cls: type, name: str) -> str | None:
    return _field(cls, name).metadata.get("param")


def field_default(cls: type, name: str) -> Any:
    return _field(cls, name).default


def parse_query(cls: type, query: str) -> tuple[Any, list[str]]:
    """A view from a link's query text ("start=test:3&z=z1:0.5"): (the view, one line per value that is not one of
    its field's, or a parameter the page does not have). Values are checked for their form only here; ranges that
    depend on the model or the data are checked where those are known."""
    if len(query) > MAX_QUERY:
        return cls(), [f"the view is longer than {MAX_QUERY} characters"]
    fields, values, problems = cls.params(), {}, []
    for name, raw in parse_qsl(query.lstrip("?"), keep_blank_values=True):
        if name not in fields:
            problems.append(f"{name}= is not a setting of this page (its settings: {', '.join(sorted(fields))})")
            continue
        try:
            values[fields[name]] = field_codec(cls, fields[name]).parse(raw)
        except LinkValueError as err:
            problems.append(f"{name}={raw[:40]} {err}")
    return cls(**values), problems


def query_text(view: Any) -> str:
    """The view as a link's query text, defaults left out (what the app's address bar shows for it)."""
    from urllib.parse import urlencode

    pairs = []
    for f in dataclasses.fields(view):
        value, name = getattr(view, f.name), f.metadata.get("param")
        if name and value is not None and value != f.default:
            text = field_codec(type(view), f.name).format(value)
            if text is not None:
                pairs.append((name, text))
    return urlencode(pairs)
