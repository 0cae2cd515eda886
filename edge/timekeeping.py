"""The gateway's clock: the access core's trusted clock, synced when NTP says the OS clock is right."""

from __future__ import annotations

from edge.clock import OsClock, TimeReading, TrustedClock
from edge.store import Store, StoredTrustedTime


class GatewayClock:
    """Thread-safe; never runs backwards; persists the last trusted time in the store."""

    def __init__(self, store: Store, *, trust_system_clock: bool = False,
                 system: OsClock | None = None) -> None:
        self._system = system or OsClock()
        self._trust_system = trust_system_clock
        self._store = store
        self._clock = TrustedClock(system=self._system, store=StoredTrustedTime(store))
        self._synced = False

    def read(self) -> TimeReading:
        # The store's own lock: a reading may persist the time, and decisions read the clock
        # while holding the store, so one lock keeps the order and rules out a deadlock.
        with self._store.locked():
            if not self._synced and (self._trust_system or self._system.ntp_synced()):
                self._clock.sync(self._system.wall())
                self._synced = True
            return self._clock.read()
