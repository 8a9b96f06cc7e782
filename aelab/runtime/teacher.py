"""The teacher's key and the tokens it buys: who may see the class wall.

The server is given a key (AELAB_TEACHER_KEY). A key typed in is compared with it in constant time (the SHA-256 of
each, through hmac.compare_digest, so neither its content nor its length can be timed), and wrong attempts are
limited per client (MAX_FAILURES within WINDOW_S) and, so that many clients together cannot try keys quickly either,
for the whole server (MAX_FAILURES_ALL). A right key buys a random token that expires after TOKEN_TTL_S (a school
day): the browser keeps the token, never the key, and only the token's SHA-256 is kept here, so a memory dump or a
log of this object names no token. Lock ends a token at once. Nothing here logs, and nothing knows Streamlit.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from aelab.errors import AelabError

TOKEN_TTL_S = 10 * 3600  # a school day
MAX_FAILURES, WINDOW_S = 5, 60.0  # per client: this many wrong keys within this many seconds, then wait
MAX_FAILURES_ALL = 30  # the whole server, within WINDOW_S
MIN_KEY_LENGTH = 8
MAX_TOKENS = 64  # live tokens kept; the oldest goes first (a teacher on a few devices needs a handful)
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


class KeyRefused(AelabError):
    """A key that did not unlock the wall, or an attempt made too soon after too many; the message says which."""


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class TeacherGate:
    """Checks keys, issues and checks tokens. key: the server's key (None or "": no teacher on this server).
    clock: seconds (time.time)."""

    def __init__(self, key: str | None, clock: Callable[[], float] = time.time, token_ttl_s: float = TOKEN_TTL_S):
        self._key = _digest(key) if key else None
        self.short_key = bool(key) and len(key) < MIN_KEY_LENGTH
        self._clock = clock
        self.ttl_s = token_ttl_s
        self._tokens: dict[bytes, float] = {}  # SHA-256 of a token -> when it expires
        self._failures: dict[str, deque[float]] = {}  # client -> times of its recent wrong keys
        self._all_failures: deque[float] = deque()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether this server has a usable teacher key."""
        return self._key is not None and not self.short_key

    def unlock(self, client: str, key: str) -> str:
        """A new token if key is the server's; KeyRefused otherwise, or while client (or the whole server) has
        tried too many wrong keys lately, in which case key is not even compared."""
        if not self.enabled:
            raise KeyRefused("This server has no teacher key.")
        now = self._clock()
        with self._lock:
            wait = self._wait_s(client, now)
            if wait > 0:
                raise KeyRefused(f"Too many wrong keys: try again in {wait:.0f} s.")
            if not hmac.compare_digest(_digest(key), self._key):
                self._failures.setdefault(client, deque()).append(now)
                self._all_failures.append(now)
                raise KeyRefused("That is not the teacher key.")
            token = secrets.token_urlsafe(32)
            self._forget_expired(now)
            self._tokens[_digest(token)] = now + self.ttl_s
            return token

    def valid(self, token: str | None) -> bool:
        """Whether token is a live token of this server (issued, not locked, not expired)."""
        if not token or not isinstance(token, str) or not TOKEN_PATTERN.match(token):
            return False
        with self._lock:
            expires = self._tokens.get(_digest(token))
            return expires is not None and expires > self._clock()

    def expires_at(self, token: str) -> float | None:
        with self._lock:
            return self._tokens.get(_digest(token)) if TOKEN_PATTERN.match(token or "") else None

    def lock(self, token: str | None) -> None:
        """End token now (the wall's Lock)."""
        if token:
            with self._lock:
                self._tokens.pop(_digest(token), None)

    def _wait_s(self, client: str, now: float) -> float:
        """Seconds client must wait before its next try (0: none)."""
        waits = []
        for times, limit in ((self._failures.get(client), MAX_FAILURES), (self._all_failures, MAX_FAILURES_ALL)):
            while times and times[0] <= now - WINDOW_S:
                times.popleft()
            if times and len(times) >= limit:
                waits.append(times[0] + WINDOW_S - now)
        if len(self._failures) > 1024:  # clients whose wrong keys are all older than the window
            for stale in [c for c, times in self._failures.items() if not times or times[-1] <= now - WINDOW_S]:
                del self._failures[stale]
        return max(waits, default=0.0)

    def _forget_expired(self, now: float) -> None:
        for digest in [d for d, expires in self._tokens.items() if expires <= now]:
            del self._tokens[digest]
        while len(self._tokens) >= MAX_TOKENS:
            del self._tokens[min(self._tokens, key=self._tokens.get)]
