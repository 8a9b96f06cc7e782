"""Who is in the class: one entry per browser, with the display name its student chose and when it was last active.

The teacher's class wall shows one tile per browser active lately, under the name the student chose on the Train page
or, by default, "Student N" (N counts browsers in the order they first came). The key of an entry is whatever the app
tells browsers apart by (on a class server the hash naming the browser's library, never its secret id); it is never
shown, and neither the key nor the name is ever put in a link. A name is plain text of at most MAX_NAME characters,
checked here once (validate_name); whoever shows it escapes it. Nothing here knows about Streamlit.
"""
from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace

from aelab.errors import AelabError

MAX_NAME = 40
MAX_ENTRIES = 5000  # a bound, not a class size: a bot opening sessions by the thousand cannot grow it past this


class DisplayNameError(AelabError):
    """A display name that cannot be used; the message says why, in one line."""


def validate_name(text: str) -> str | None:
    """The display name to keep for text: its words joined by single spaces, or None for an empty one (the default
    "Student N"). Refused, with why: more than MAX_NAME characters, or a control or formatting character (which
    could make a tile say something it does not show, e.g. text written right to left)."""
    name = " ".join(str(text).split())
    if not name:
        return None
    if len(name) > MAX_NAME:
        raise DisplayNameError(f"A display name is at most {MAX_NAME} characters; this one has {len(name)}.")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise DisplayNameError("A display name is letters, digits, spaces and punctuation only (no control or "
                               "formatting characters).")
    return name


@dataclass(frozen=True)
class Member:
    """A browser of the class as the wall lists it. key: the app's key for the browser (never shown)."""

    key: str
    number: int  # 1, 2, ... in the order browsers first came: "Student N"
    chosen: str | None  # the name the student chose, or None
    first_seen: float
    last_seen: float
    teacher: bool = False  # a browser that opened the Class page with the key: not a tile

    @property
    def name(self) -> str:
        return self.chosen or f"Student {self.number}"


class ClassRoster:
    """The class's browsers, thread-safe (every session's run touches it). clock: seconds (time.time)."""

    def __init__(self, clock: Callable[[], float] = time.time, max_entries: int = MAX_ENTRIES):
        self._clock = clock
        self._max = max_entries
        self._members: dict[str, Member] = {}
        self._next = 1
        self._lock = threading.Lock()

    def touch(self, key: str, teacher: bool = False) -> Member:
        """Record activity of browser key now (teacher: it is the teacher's); a new browser gets the next number."""
        with self._lock:
            return self._touch(key, teacher)

    def set_name(self, key: str, text: str) -> Member:
        """Give browser key the display name text (validated: DisplayNameError says why not; empty: the default)."""
        name = validate_name(text)
        with self._lock:
            member = self._members[key] = replace(self._touch(key, False), chosen=name)
            return member

    def _touch(self, key: str, teacher: bool) -> Member:
        now = self._clock()
        member = self._members.get(key)
        if member is None:
            self._forget_oldest()
            member = Member(key, self._next, None, now, now)
            self._next += 1
        member = self._members[key] = replace(member, last_seen=now, teacher=member.teacher or teacher)
        return member

    def get(self, key: str) -> Member | None:
        with self._lock:
            return self._members.get(key)

    def active(self, within_s: float = 3600.0, also: set[str] | frozenset[str] = frozenset()) -> list[Member]:
        """The students' browsers (not the teacher's) active within the last within_s seconds, and those of the keys
        in also (e.g. with a training still running; one never seen gets its number now), in the order they came."""
        now = self._clock()
        with self._lock:
            for key in also:
                if key not in self._members:
                    self._forget_oldest()
                    self._members[key] = Member(key, self._next, None, now, 0.0)
                    self._next += 1
            members = [m for m in self._members.values()
                       if not m.teacher and (m.last_seen >= now - within_s or m.key in also)]
        return sorted(members, key=lambda m: m.number)

    def _forget_oldest(self) -> None:
        """Keep at most max_entries: the browser seen longest ago goes (numbers are never given again)."""
        while len(self._members) >= self._max:
            oldest = min(self._members.values(), key=lambda m: m.last_seen)
            del self._members[oldest.key]
