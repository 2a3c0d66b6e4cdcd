"""Active sessions remembered per process, so a known session costs no database read.

Safe only while this process hears every revocation: PostgreSQL notifications on
`CHANNEL`, sent by each statement that ends a session or changes what it may do,
delivered on commit (accounts/listener.py keeps the listening connection). While
nothing listens the cache answers nothing and every check reads the database.

The race it guards: a request reads "active", a revocation commits and its
notification is handled, then the request stores its stale "active". Every
invalidation moves `generation`; a request notes it before its read and stores only
when it has not moved. Entries also age out after `ttl` seconds (a backstop for a
change made without a notification, e.g. by hand in psql) and at the session's own
expiry; at most `size` entries are kept, least recently used first out.
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections import OrderedDict
from dataclasses import dataclass

from automechanica.accounts.principal import Principal

#: The notification channel; payloads are `s:<session id>`, `u:<user id>` or `*` (all).
CHANNEL = "automechanica_sessions"

#: Every cache in this process, so a revocation made here is forgotten at once, before
#: its notification comes back (the very next request of the same client is refused).
_LIVE: weakref.WeakSet[ActiveSessions] = weakref.WeakSet()


@dataclass(frozen=True, slots=True)
class _Entry:
    principal: Principal
    until: float  # time.monotonic() deadline


class ActiveSessions:
    """Session id -> principal, for sessions the database said were active."""

    def __init__(self, *, size: int = 10_000, ttl: float = 30.0) -> None:
        self.size = size
        self.ttl = ttl
        self._entries: OrderedDict[uuid.UUID, _Entry] = OrderedDict()
        self._by_user: dict[int, set[uuid.UUID]] = {}
        # The API's event loop is the only user in production; tests run two apps (two
        # loops, two threads) in one process and forget across them.
        self._lock = threading.Lock()
        #: Moves on every invalidation: a read that began before it may not be stored.
        self.generation = 0
        #: Whether notifications are being heard; when not, the cache is bypassed.
        self.listening = False
        _LIVE.add(self)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, session_id: uuid.UUID) -> Principal | None:
        """The remembered principal, or None when the database must be asked."""
        if not self.listening:
            return None
        with self._lock:
            entry = self._entries.get(session_id)
            if entry is None:
                return None
            if entry.until <= time.monotonic():
                self._drop(session_id)
                return None
            self._entries.move_to_end(session_id)
            return entry.principal

    def mark(self) -> int:
        """Note this before reading the session from the database; hand it to `store`."""
        return self.generation

    def store(self, mark: int, principal: Principal, seconds_left: float) -> bool:
        """Remember `principal` (the session has `seconds_left` to live) unless something
        was invalidated since `mark`, or nothing is listening. Whether it was stored."""
        with self._lock:
            if not self.listening or self.generation != mark:
                return False
            sid = principal.session_id
            self._drop(sid)
            until = time.monotonic() + min(self.ttl, seconds_left)
            self._entries[sid] = _Entry(principal, until)
            self._by_user.setdefault(principal.user_id, set()).add(sid)
            while len(self._entries) > self.size:
                self._drop(next(iter(self._entries)))
            return True

    def forget_session(self, session_id: uuid.UUID) -> None:
        with self._lock:
            self.generation += 1
            self._drop(session_id)

    def forget_user(self, user_id: int) -> None:
        with self._lock:
            self.generation += 1
            for sid in self._by_user.pop(user_id, set()):
                self._entries.pop(sid, None)

    def clear(self) -> None:
        with self._lock:
            self._clear()

    def notified(self, payload: str) -> None:
        """Apply one notification's payload; an unreadable one clears everything."""
        kind, _, key = payload.partition(":")
        try:
            if kind == "s":
                self.forget_session(uuid.UUID(key))
                return
            if kind == "u":
                self.forget_user(int(key))
                return
        except ValueError:
            pass
        self.clear()

    def listen_started(self) -> None:
        """The listener is connected and LISTENing: start from nothing, then serve."""
        with self._lock:
            self._clear()
            self.listening = True

    def listen_stopped(self) -> None:
        """Notifications may be missed from now on: bypass and forget everything."""
        with self._lock:
            self.listening = False
            self._clear()

    def _clear(self) -> None:
        self.generation += 1
        self._entries.clear()
        self._by_user.clear()

    def _drop(self, session_id: uuid.UUID) -> None:
        entry = self._entries.pop(session_id, None)
        if entry is not None:
            sids = self._by_user.get(entry.principal.user_id)
            if sids is not None:
                sids.discard(session_id)
                if not sids:
                    del self._by_user[entry.principal.user_id]


def forget_session_here(session_id: uuid.UUID) -> None:
    """A session ended by this process: forget it now in every cache of the process."""
    for cache in list(_LIVE):
        cache.forget_session(session_id)


def forget_user_here(user_id: int) -> None:
    """A user's sessions ended or changed by this process: forget them now, here."""
    for cache in list(_LIVE):
        cache.forget_user(user_id)
