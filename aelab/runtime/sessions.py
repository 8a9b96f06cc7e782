"""Memory that comes back: a registry of live sessions that releases what an idle one holds, and hands the freed
memory back to the operating system.

A web framework may keep a closed tab's state for ever (Streamlit does, and has no public session-end hook), so the
end of a session is told from its last activity: each rerun touches its entry, and a session untouched for
``idle_seconds`` is released. Releasing runs the actions the session registered (forget its uploads, unsaved models,
finished jobs...) and drops its cached results, for each owner no live session still holds. An action that returns
a truthy value is called again at later sweeps (a training still running when its session went idle is forgotten
once it ends). Afterwards glibc is asked to return freed pages (malloc_trim): without it, a process that once held
a class's uploads and models keeps that resident memory although Python freed the objects.

Nothing here knows about Streamlit; the app touches sessions and starts the sweeper (ui.common.activity).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
Action = Callable[[], object]


@dataclass
class _Entry:
    last_seen: float
    owners: frozenset[str]
    actions: list[Action] = field(default_factory=list)
    busy: Callable[[], bool] | None = None
    released: bool = False


class SessionRegistry:
    """Last activity per session id, and what to release when a session has been idle for idle_seconds.

    evict_owner(owner) drops an owner's cached results (ResultStore.evict_owner); it is called for each owner of a
    released session that no live session still holds (two tabs of one browser share a library namespace)."""

    def __init__(self, idle_seconds: float, evict_owner: Callable[[str], object] | None = None,
                 clock: Callable[[], float] = time.monotonic, trim: Callable[[], object] | None = None):
        self.idle_seconds = float(idle_seconds)
        self._evict_owner = evict_owner
        self._clock = clock
        self._trim = trim if trim is not None else trim_memory
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._sweeper: threading.Thread | None = None

    def touch(self, session_id: str, owners: Iterable[str] = (), release: Iterable[Action] = (),
              busy: Callable[[], bool] | None = None) -> None:
        """Record activity of session_id now, with the owners of its cached results and its release actions
        (replacing earlier ones). busy() true counts as activity (a tab watching its training, whose polling does
        not rerun the whole page). A session released earlier and active again starts over."""
        with self._lock:
            self._entries[session_id] = _Entry(self._clock(), frozenset(owners) | {session_id}, list(release), busy)

    def live(self) -> int:
        """How many sessions are tracked and not released."""
        with self._lock:
            return sum(not e.released for e in self._entries.values())

    def __contains__(self, session_id: str) -> bool:
        with self._lock:
            entry = self._entries.get(session_id)
            return entry is not None and not entry.released

    def sweep(self, now: float | None = None) -> list[str]:
        """Release every session idle past the timeout (and call again the actions still pending); returns the ids
        released by this sweep. Safe to call from any thread."""
        now = self._clock() if now is None else now
        with self._lock:
            entries = list(self._entries.values())
        for entry in entries:
            if not entry.released and entry.busy is not None and _safe(entry.busy):
                entry.last_seen = max(entry.last_seen, now)
        with self._lock:
            due = [(sid, e) for sid, e in self._entries.items()
                   if e.released or now - e.last_seen > self.idle_seconds]
            newly = [sid for sid, e in due if not e.released]
            for _, entry in due:
                entry.released = True
            held = set().union(*(e.owners for e in self._entries.values() if not e.released))
        for session_id, entry in due:
            self._release(session_id, entry, held)
        if due:
            self._trim()
        return newly

    def _release(self, session_id: str, entry: _Entry, held: set[str]) -> None:
        pending = []
        for action in entry.actions:
            try:
                if action():
                    pending.append(action)
            except Exception:  # one failing action must not keep the rest (or the sweeper) from running
                log.exception("releasing an idle session failed")
        if self._evict_owner is not None:
            for owner in entry.owners - held:
                self._evict_owner(owner)
        with self._lock:
            if self._entries.get(session_id) is entry:  # (not touched again meanwhile)
                if pending:
                    entry.actions, entry.owners = pending, frozenset()
                else:
                    del self._entries[session_id]

    def start(self, period: float | None = None) -> None:
        """Sweep every period seconds (default: a quarter of the timeout, at most a minute) in a daemon thread, so
        sessions are released even when no other session reruns; once per registry."""
        if self._sweeper is not None:
            return
        period = period or min(60.0, max(1.0, self.idle_seconds / 4))

        def loop() -> None:
            while True:
                time.sleep(period)
                try:
                    self.sweep()
                except Exception:
                    log.exception("session sweep failed")

        self._sweeper = threading.Thread(target=loop, name="aelab-session-sweeper", daemon=True)
        self._sweeper.start()


def _safe(predicate: Callable[[], bool]) -> bool:
    try:
        return bool(predicate())
    except Exception:
        log.exception("asking whether a session is busy failed")
        return False


def _load_malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None where the C library is not glibc (musl, macOS, Windows)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        function = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    function.argtypes, function.restype = [ctypes.c_size_t], ctypes.c_int
    return function


_MALLOC_TRIM = _load_malloc_trim()


def trim_memory() -> bool:
    """Collect garbage, then ask glibc to return free heap pages to the operating system (malloc_trim(0)); True if
    it returned any. A no-op (False) without glibc."""
    gc.collect()
    if _MALLOC_TRIM is None:
        return False
    return bool(_MALLOC_TRIM(0))
