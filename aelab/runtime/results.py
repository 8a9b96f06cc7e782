"""The one store of computed results (codes, projections, score tables, lesson models) a server keeps in memory.

Entries are keyed by ``(CacheIdentity, what, params)``: what was computed, from which data and weights, with which
parameters. The store is
- bounded: at most ``max_entries`` entries and ``max_bytes`` bytes (estimated) in all, and optionally a share for each
  private owner (``owner_max_entries`` / ``owner_max_bytes``; PUBLIC results, which every session uses, have none) so
  one session's uploads cannot flush what every session uses;
- least-recently-used first out: a read moves an entry to the back of the queue;
- partitioned by owner (``identity.owner``): ``evict_owner(owner)`` frees a session's share when it ends;
- thread-safe: Streamlit runs each session in its own thread and background jobs write results from theirs.
  ``get_or_compute`` holds one lock per key while computing, so two sessions asking for the same fit compute it once.
"""
from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

import numpy as np

from aelab.runtime.identity import PUBLIC, CacheIdentity

_MISSING = object()


def _freeze(params: Any) -> Hashable:
    """params as a hashable key: dicts by sorted items, lists and sets as tuples, recursively."""
    if isinstance(params, dict):
        return tuple(sorted((str(k), _freeze(v)) for k, v in params.items()))
    if isinstance(params, (list, tuple)):
        return tuple(_freeze(v) for v in params)
    if isinstance(params, (set, frozenset)):
        return tuple(sorted(_freeze(v) for v in params))
    hash(params)  # anything else must be hashable already: a TypeError here names the culprit
    return params


def estimate_bytes(value: Any, _seen: set[int] | None = None, _depth: int = 0) -> int:
    """Roughly how much memory value holds: arrays and tensors by their buffers, containers and objects by their
    contents (to a few levels deep), anything else by sys.getsizeof. Shared objects are counted once."""
    seen = set() if _seen is None else _seen
    if id(value) in seen or _depth > 6:
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if hasattr(value, "element_size") and hasattr(value, "nelement"):  # a torch tensor (torch is not imported here)
        return int(value.element_size() * value.nelement())
    if hasattr(value, "parameters") and hasattr(value, "buffers"):  # a torch module
        return sum(estimate_bytes(t, seen, _depth + 1) for t in (*value.parameters(), *value.buffers()))
    if isinstance(value, (str, bytes, bytearray, int, float, bool, type(None))):
        return sys.getsizeof(value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(estimate_bytes(k, seen, _depth + 1) + estimate_bytes(v, seen, _depth + 1)
                                          for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return sys.getsizeof(value) + sum(estimate_bytes(v, seen, _depth + 1) for v in value)
    if is_dataclass(value):
        return sys.getsizeof(value) + sum(estimate_bytes(getattr(value, f.name), seen, _depth + 1)
                                          for f in fields(value))
    if hasattr(value, "__dict__"):  # a fitted reducer (PCA, UMAP): its arrays live in attributes
        return sys.getsizeof(value) + estimate_bytes(vars(value), seen, _depth + 1)
    return sys.getsizeof(value)


@dataclass
class _Entry:
    value: Any
    nbytes: int
    owner: str


@dataclass(frozen=True)
class StoreStats:
    entries: int
    bytes: int
    owners: dict[str, int]  # owner -> entries


class ResultStore:
    """A bounded, owner-partitioned, thread-safe LRU of results keyed by (CacheIdentity, what, params)."""

    def __init__(self, max_entries: int = 256, max_bytes: int | None = None, *, owner_max_entries: int | None = None,
                 owner_max_bytes: int | None = None, sizer: Callable[[Any], int] = estimate_bytes):
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}.")
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.owner_max_entries, self.owner_max_bytes = owner_max_entries, owner_max_bytes
        self._sizer = sizer
        self._items: OrderedDict[tuple, _Entry] = OrderedDict()  # oldest use first
        self._by_owner: dict[str, set[tuple]] = {}
        self._owner_bytes: dict[str, int] = {}
        self._bytes = 0
        self._guard = threading.Lock()
        self._computing: dict[tuple, threading.Lock] = {}

    @staticmethod
    def key(identity: CacheIdentity, what: str, params: Any = ()) -> tuple:
        if not isinstance(identity, CacheIdentity):
            raise TypeError(f"A result is keyed by a CacheIdentity, got {type(identity).__name__}.")
        return identity, str(what), _freeze(params)

    # ---------------------------------------------------------------------------------------------------- reading
    def get(self, identity: CacheIdentity, what: str, params: Any = (), default: Any = None) -> Any:
        """The stored result (now the most recently used), or default."""
        key = self.key(identity, what, params)
        with self._guard:
            entry = self._items.get(key)
            if entry is None:
                return default
            self._items.move_to_end(key)
            return entry.value

    def __len__(self) -> int:
        with self._guard:
            return len(self._items)

    def stats(self) -> StoreStats:
        with self._guard:
            return StoreStats(len(self._items), self._bytes, {o: len(k) for o, k in self._by_owner.items()})

    # ---------------------------------------------------------------------------------------------------- writing
    def put(self, identity: CacheIdentity, what: str, params: Any, value: Any) -> Any:
        """Store value (replacing any entry of that key) and return it. A value larger than a bound is returned but
        not kept. Safe to call from any thread."""
        key = self.key(identity, what, params)
        nbytes = int(self._sizer(value))
        owner = identity.owner
        with self._guard:
            self._remove(key)
            if self._too_big(nbytes, owner):
                return value
            self._items[key] = _Entry(value, nbytes, owner)
            self._by_owner.setdefault(owner, set()).add(key)
            self._owner_bytes[owner] = self._owner_bytes.get(owner, 0) + nbytes
            self._bytes += nbytes
            self._enforce_bounds(owner)
        return value

    def get_or_compute(self, identity: CacheIdentity, what: str, params: Any, compute: Callable[[], Any]) -> Any:
        """The stored result, else compute() stored and returned. Concurrent callers of one key wait for the first
        one's compute instead of repeating it; if compute raises, nothing is stored and the next caller tries."""
        key = self.key(identity, what, params)
        found = self.get(identity, what, params, _MISSING)
        if found is not _MISSING:
            return found
        with self._guard:
            lock = self._computing.setdefault(key, threading.Lock())
        try:
            with lock:
                found = self.get(identity, what, params, _MISSING)
                if found is not _MISSING:
                    return found
                return self.put(identity, what, params, compute())
        finally:
            with self._guard:
                if not lock.locked():
                    self._computing.pop(key, None)

    def evict_owner(self, owner: str) -> int:
        """Forget every result of owner (a session that ended); returns how many were dropped."""
        with self._guard:
            keys = list(self._by_owner.get(owner, ()))
            for key in keys:
                self._remove(key)
            return len(keys)

    def clear(self) -> None:
        with self._guard:
            self._items.clear()
            self._by_owner.clear()
            self._owner_bytes.clear()
            self._bytes = 0

    # ---------------------------------------------------------------------------------------------------- bounds
    def _too_big(self, nbytes: int, owner: str) -> bool:
        limits = (self.max_bytes,) if owner == PUBLIC else (self.max_bytes, self.owner_max_bytes)
        return any(limit is not None and nbytes > limit for limit in limits)

    def _enforce_bounds(self, owner: str) -> None:
        """Drop least recently used entries: a private owner's beyond its share, then anyone's beyond the total."""
        def owner_over() -> bool:
            if owner == PUBLIC:
                return False
            return ((self.owner_max_entries is not None and len(self._by_owner.get(owner, ())) > self.owner_max_entries)
                    or (self.owner_max_bytes is not None and self._owner_bytes.get(owner, 0) > self.owner_max_bytes))

        while owner_over():
            oldest = next(k for k, e in self._items.items() if e.owner == owner)
            self._remove(oldest)
        while len(self._items) > self.max_entries or (self.max_bytes is not None and self._bytes > self.max_bytes):
            self._remove(next(iter(self._items)))

    def _remove(self, key: tuple) -> None:
        entry = self._items.pop(key, None)
        if entry is None:
            return
        self._bytes -= entry.nbytes
        self._owner_bytes[entry.owner] -= entry.nbytes
        keys = self._by_owner[entry.owner]
        keys.discard(key)
        if not keys:
            del self._by_owner[entry.owner]
            del self._owner_bytes[entry.owner]
