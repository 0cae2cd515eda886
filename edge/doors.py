"""Door supervision as a pure state machine: opened, closed, ajar, forced.

Fed with timestamped facts (a contact changed, access was granted, someone asked to exit,
time passed), it answers with the door events of the MQTT contract (`door.opened`,
`door.closed`, `door.ajar`, `door.forced`; data model `mqtt.messages.DoorEvent`).
A door is forced when it opens with no grant and no exit request shortly before; it is
ajar when it stays open longer than allowed (reported once per opening).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

DOOR_OPENED = "door.opened"
DOOR_CLOSED = "door.closed"
DOOR_AJAR = "door.ajar"
DOOR_FORCED = "door.forced"
CLOCK_SLACK = timedelta(seconds=1)  # node-reported times are estimates (age on the wire)


@dataclass(frozen=True)
class DoorSignal:
    type: str
    door: str
    at: datetime
    seconds_open: float | None = None


@dataclass
class _Door:
    is_open: bool | None = None
    changed_at: datetime | None = None
    authorised_at: datetime | None = None
    ajar_reported: bool = False


@dataclass
class DoorWatch:
    ajar_after: timedelta = timedelta(seconds=60)
    grant_window: timedelta = timedelta(seconds=10)
    stale_facts: int = 0
    _doors: dict[str, _Door] = field(default_factory=dict)

    def granted(self, door: str, at: datetime) -> None:
        """Access was granted (card or remote unlock): an opening soon after is expected."""
        self._authorise(door, at)

    def exit_requested(self, door: str, at: datetime) -> None:
        """A request-to-exit (button, inside handle, motion at the door) was seen."""
        self._authorise(door, at)

    def contact(self, door: str, *, is_open: bool, at: datetime) -> list[DoorSignal]:
        _require_aware(at)
        state = self._doors.setdefault(door, _Door())
        if state.changed_at is not None and at < state.changed_at:
            self.stale_facts += 1  # older than what we already know: ignore, never rewind
            return []
        if state.is_open is is_open:
            return []
        was_known = state.is_open is not None
        opened_at = state.changed_at
        state.is_open, state.changed_at, state.ajar_reported = is_open, at, False
        if not is_open:
            seconds = (at - opened_at).total_seconds() if was_known and opened_at else None
            return [DoorSignal(DOOR_CLOSED, door, at, seconds)]
        signals = [DoorSignal(DOOR_OPENED, door, at)]
        if was_known and not self._authorised(state, at):
            signals.append(DoorSignal(DOOR_FORCED, door, at))
        return signals

    def tick(self, now: datetime) -> list[DoorSignal]:
        """Time passed: report doors open for too long, once per opening."""
        _require_aware(now)
        signals = []
        for name, state in self._doors.items():
            if not state.is_open or state.ajar_reported or state.changed_at is None:
                continue
            open_for = now - state.changed_at
            if open_for >= self.ajar_after:
                state.ajar_reported = True
                signals.append(DoorSignal(DOOR_AJAR, name, now, open_for.total_seconds()))
        return signals

    def is_open(self, door: str) -> bool | None:
        state = self._doors.get(door)
        return None if state is None else state.is_open

    def _authorise(self, door: str, at: datetime) -> None:
        _require_aware(at)
        state = self._doors.setdefault(door, _Door())
        if state.authorised_at is None or at > state.authorised_at:
            state.authorised_at = at

    def _authorised(self, state: _Door, opened_at: datetime) -> bool:
        grant = state.authorised_at
        return grant is not None and -CLOCK_SLACK <= opened_at - grant <= self.grant_window


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("door facts need aware datetimes")
