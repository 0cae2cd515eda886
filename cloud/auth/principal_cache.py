"""Each token's principal kept in memory while the access stamp says nothing changed.

A request reads the access stamp (one row, changed by triggers whenever a token or session is
revoked or a staff member's role or property changes, by whichever worker or tool writes) and
uses its copy only when the copy was taken at that stamp and is still within its time: never
past the token's expiry, the session's idle limit, or the next time its last use is due to be
written. So a revoked token is refused on its next request in every worker, with one small
read instead of the token, user and property rows.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from cloud.auth.roles import Principal

MAX_ENTRIES = 10_000  # a full cache is emptied: it refills from the database


@dataclass(frozen=True, slots=True)
class Resolved:
    """A principal read from the database, good until ``until`` (if the stamp holds)."""

    principal: Principal
    until: datetime


@dataclass(frozen=True, slots=True)
class _Entry:
    resolved: Resolved
    stamp: int


class PrincipalCache:
    def __init__(self, *, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: dict[str, _Entry] = {}
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, key: str, *, stamp: int, now: datetime) -> Principal | None:
        entry = self._entries.get(key)
        if entry is None or entry.stamp != stamp or now >= entry.resolved.until:
            return None
        return entry.resolved.principal

    def knows(self, key: str) -> bool:
        """Whether ``key`` was resolved before (at whatever stamp: ``get`` still decides)."""
        return key in self._entries

    def put(self, key: str, resolved: Resolved, *, stamp: int) -> None:
        """``stamp`` is the value read *before* ``resolved`` was: a change committed in between
        makes the entry stale at once."""
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[key] = _Entry(resolved, stamp)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
