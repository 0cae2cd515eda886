"""A reader's tap end to end in the core: read the trusted time, decide, record first use."""

from __future__ import annotations

from typing import Protocol

from edge.access.decision import Decision, decide, record_use
from edge.access.hours import OpeningHours
from edge.access.ports import AccessState
from edge.access.scope import Door
from edge.clock import TimeReading


class TimeSource(Protocol):
    def read(self) -> TimeReading: ...


def admit(data: bytes, *, door: Door, clock: TimeSource, state: AccessState,
          hours: OpeningHours | None = None) -> Decision:
    """Decide on a tapped card; a granted newer guest card cancels the older ones."""
    decision = decide(data, door=door, time=clock.read(), state=state, hours=hours)
    record_use(decision, state)
    return decision
