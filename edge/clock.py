"""Trusted time for a gateway without a battery clock.

The gateway keeps the last trusted time across reboots (a port persists it), never lets its
time run backwards, and reports its offset from the system clock. After a start without a
clock (the system clock is earlier than the last trusted time) the persisted time plus the
monotonic time since boot is a proven lower bound on the true time: a card that expired
before it is refused, and cards still valid after it are admitted.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

log = logging.getLogger(__name__)


class SystemClock(Protocol):
    def wall(self) -> datetime:
        """The operating system's UTC time (may be wrong after a power cut)."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin, never going back within one boot."""
        ...


class TrustedTimeStore(Protocol):
    def load(self) -> datetime | None: ...

    def save(self, at: datetime) -> None: ...


class MemoryTrustedTime:
    """In-memory twin of the store's ``StoredTrustedTime``; ``saved`` lists every save."""

    def __init__(self, at: datetime | None = None) -> None:
        self.saved: list[datetime] = [at] if at else []

    def load(self) -> datetime | None:
        return self.saved[-1] if self.saved else None

    def save(self, at: datetime) -> None:
        self.saved.append(at)


@dataclass(frozen=True, slots=True)
class TimeReading:
    at: datetime  # best estimate of now; never earlier than a previous reading
    trusted: bool  # synced with a trusted source during this boot
    not_before: datetime | None  # proven lower bound on the true time, if any
    offset_s: float  # ``at`` minus the system clock (what the status message reports)


class OsClock:
    """The real system clock."""

    def __init__(self, sync_flag: str = "/run/systemd/timesync/synchronized") -> None:
        self._sync_flag = sync_flag

    def ntp_synced(self) -> bool:
        """True once systemd-timesyncd has synchronised the system clock since boot."""
        return os.path.exists(self._sync_flag)

    def wall(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class TrustedClock:
    """Pure time logic; the system clock and the persistence are ports."""

    def __init__(self, *, system: SystemClock, store: TrustedTimeStore,
                 persist_every_s: float = 60.0) -> None:
        self._system = system
        self._store = store
        self._persist_every = persist_every_s
        self._floor = store.load()  # the true time was at least this when we started
        self._floor_mono = system.monotonic()
        self._anchor: tuple[datetime, float] | None = None  # (trusted time, monotonic then)
        self._last: datetime | None = None
        self._saved_mono: float | None = None
        self._saved_at: datetime | None = None
        self._lock = threading.Lock()  # door readers read while the link thread syncs
        if self._floor is not None and system.wall() < self._floor:
            log.warning("clock-less start: system clock %s is before last trusted time %s",
                        system.wall().isoformat(), self._floor.isoformat())

    def sync(self, reference: datetime) -> None:
        """A fresh trusted reference says it is ``reference`` now: the system clock once NTP
        reports it synchronised, or a time the cloud has just sent. Never the timestamp of a
        queued command, which may be hours old."""
        if reference.tzinfo is None:
            raise ValueError("reference time must be aware")
        with self._lock:
            self._anchor = (reference.astimezone(UTC), self._system.monotonic())
            self._persist(force=True)

    def read(self) -> TimeReading:
        with self._lock:
            return self._read()

    def _read(self) -> TimeReading:
        wall = self._system.wall()
        bound = self._lower_bound()
        estimate = self._synced_now() or wall
        if bound is not None and estimate < bound:
            estimate = bound
        if self._last is not None and estimate < self._last:
            estimate = self._last
        self._last = estimate
        self._persist(force=False)
        return TimeReading(at=estimate, trusted=self._anchor is not None, not_before=bound,
                           offset_s=(estimate - wall).total_seconds())

    def _synced_now(self) -> datetime | None:
        """Trusted time carried forward on the monotonic clock (immune to wall-clock steps)."""
        if self._anchor is None:
            return None
        reference, mono = self._anchor
        return reference + timedelta(seconds=self._system.monotonic() - mono)

    def _lower_bound(self) -> datetime | None:
        if self._floor is None:
            return None
        return self._floor + timedelta(seconds=self._system.monotonic() - self._floor_mono)

    def _persist(self, *, force: bool) -> None:
        """Save a time we can prove: a synced reading, or the monotonic lower bound."""
        mono = self._system.monotonic()
        if not force and self._saved_mono is not None and \
                mono - self._saved_mono < self._persist_every:
            return
        at = self._synced_now() or self._lower_bound()
        if at is None:
            return
        last_saved = self._saved_at or self._floor
        if last_saved is not None and at < last_saved:
            return  # a trusted time never moves back on disk
        self._store.save(at)
        self._saved_at, self._saved_mono = at, mono
