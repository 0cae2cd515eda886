"""The gateway's clock: the access core's trusted clock, synced when NTP says the OS clock is right."""

from __future__ import annotations

from edge.clock import OsClock, TimeReading, TrustedClock
from edge.store import Store, StoredTrustedTime


class GatewayClock:
    """Thread-safe; never runs backwards; persists the last trusted time in the store.

    Lock order: a reading holds only the trusted clock's own lock, never the store's, so a door
    decision reads the time without waiting for a relay or a confirmation that holds the store.
    A reading that persists the time hands the write to the store (``Store.write_soon``), which
    only tries the store's lock and never waits for it. So a thread holding the store's lock may
    read the clock (a command applied in a transaction does), and a thread holding the clock's
    lock never waits for the store's: no cycle, no deadlock.
    """

    def __init__(self, store: Store, *, trust_system_clock: bool = False,
                 system: OsClock | None = None) -> None:
        self._system = system or OsClock()
        self._trust_system = trust_system_clock
        self._clock = TrustedClock(system=self._system, store=StoredTrustedTime(store))
        self._synced = False

    def read(self) -> TimeReading:
        if not self._synced and (self._trust_system or self._system.ntp_synced()):
            self._clock.sync(self._system.wall())  # two threads may both sync at first: harmless
            self._synced = True
        return self._clock.read()
