"""How the plain kinds of view value are written in a link and read back: numbers, switches, choices and lists of
them, in the formats links have always had (?steps=9, ?present=1, ?models=a,b); every read bounded in length.
The richer values (images, drawings, selections) are in aelab/views/values.py.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

MAX_TEXT = 1800  # no link value is read past this many characters (a link stays under 2,000 in all)


class LinkValueError(ValueError):
    """A link's text that is not a value of its field; str(err) says why, as the page's message ends it."""


@dataclass(frozen=True)
class Codec:
    """Text <-> value for one kind of field. parse raises LinkValueError; format returns None for a value that has
    no place in a link. many: the value is a tuple of items (a multiselect)."""

    many: ClassVar[bool] = False

    def parse(self, raw: str) -> Any:
        raise NotImplementedError

    def format(self, value: Any) -> str | None:
        return None if value is None else str(value)

    def item_text(self, item: Any) -> str:
        return str(item)


def _bounded(raw: str) -> str:
    if len(raw) > MAX_TEXT:
        raise LinkValueError(f"is longer than {MAX_TEXT} characters")
    return raw.strip()


@dataclass(frozen=True)
class Text(Codec):
    def parse(self, raw: str) -> str:
        return _bounded(raw)


@dataclass(frozen=True)
class Int(Codec):
    def parse(self, raw: str) -> int:
        text = _bounded(raw)
        try:
            return int(text)
        except ValueError:
            raise LinkValueError("is not a valid value") from None


@dataclass(frozen=True)
class Float(Codec):
    digits: int = 6

    def parse(self, raw: str) -> float:
        text = _bounded(raw)
        try:
            value = float(text)
        except ValueError:
            raise LinkValueError("is not a valid value") from None
        if not math.isfinite(value):
            raise LinkValueError("is not a valid value")
        return value

    def format(self, value: Any) -> str | None:
        return None if value is None else format(float(value), f".{self.digits}g")


@dataclass(frozen=True)
class Bool(Codec):
    def parse(self, raw: str) -> bool:
        text = _bounded(raw).lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise LinkValueError("is not a valid value")

    def format(self, value: Any) -> str | None:
        return None if value is None else ("1" if value else "0")


@dataclass(frozen=True)
class Many(Codec):
    """A tuple of choices as a,b,c (an empty choice as nothing: ?models=)."""

    item: Codec = Text()
    max_items: int = 64
    many: ClassVar[bool] = True

    def parse(self, raw: str) -> tuple:
        parts = [p.strip() for p in _bounded(raw).split(",") if p.strip()]
        if len(parts) > self.max_items:
            raise LinkValueError(f"names more than {self.max_items} choices")
        return tuple(dict.fromkeys(self.item.parse(p) for p in parts))

    def format(self, value: Any) -> str | None:
        return None if value is None else ",".join(self.item.format(v) or "" for v in value)


def codec_for(annotation: Any) -> Codec:
    """The codec of a plain annotation ("int", "float | None", "bool", "str", "tuple[str, ...]")."""
    text = str(annotation).replace(" ", "").replace("|None", "").replace("Optional[", "").rstrip("]")
    simple = {"int": Int(), "float": Float(), "bool": Bool(), "str": Text()}
    if text in simple:
        return simple[text]
    if text.startswith("tuple[str,..."):
        return Many()
    if text.startswith("tuple[int,..."):
        return Many(Int())
    raise TypeError(f"no codec for {annotation!r}: give the field one")


# ------------------------------------------------------------------------------------------------ index lists
def ranges_text(indices) -> str:
    """Sorted unique indices as ranges: [3, 4, 5, 6, 7, 9] -> '3-7.9'."""
    values = sorted({int(i) for i in indices})
    parts, start = [], None
    for k, value in enumerate(values):
        if start is None:
            start = value
        if k + 1 == len(values) or values[k + 1] != value + 1:
            parts.append(str(start) if start == value else f"{start}-{value}")
            start = None
    return ".".join(parts)


def parse_ranges(text: str, limit: int, max_items: int) -> tuple[int, ...]:
    """'3-7.9' -> (3, 4, 5, 6, 7, 9), each below limit, at most max_items of them (checked before expanding)."""
    indices: list[int] = []
    for part in _bounded(text).split("."):
        low, dash, high = part.partition("-")
        try:
            a, b = int(low), int(high) if dash else int(low)
        except ValueError:
            raise LinkValueError(f"has a part that is not an index or a range ({part[:12]!r})") from None
        if not 0 <= a <= b < limit:
            raise LinkValueError(f"names images outside 0 to {limit - 1}")
        if len(indices) + (b - a + 1) > max_items:
            raise LinkValueError(f"names more than {max_items:,} images")
        indices.extend(range(a, b + 1))
    return tuple(dict.fromkeys(indices))
