"""Signed-keycard access: the access core's decisions and commands over the gateway's store.

Shares the gateway's SQLite file and lock, so a decision, its room update and its event are
serialised with everything else the gateway writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from edge.access.commands import ACCESS_COMMANDS, apply_command
from edge.access.decision import Decision
from edge.access.gate import TimeSource, admit
from edge.access.hours import OpeningHours
from edge.access.lift import LiftChoice, choose_floors
from edge.access.scope import Door
from edge.access.store import SqliteAccessState
from edge.errors import CommandRejected, ConfigError
from edge.store import Store
from mqtt.envelope import Envelope
from mqtt.keycard import Area
from mqtt.messages import Data


def room_number(room: str) -> int:
    """Keycards name rooms by number: the room slug must be one (``101``)."""
    if not room.isdigit() or not 0 < int(room) <= 0xFFFF:
        raise ConfigError(f"room {room!r} is not a room number (keycards need 1..65535)")
    return int(room)


@dataclass(frozen=True, slots=True)
class Facility:
    """A reader that is not a room's: a common area's (``area``), or a floor reader (no area)."""

    area: Area | None = None
    hours: OpeningHours | None = None
    by_booking: bool = False  # guests open it only within a slot booked for their stay


@dataclass(frozen=True, slots=True)
class Lift:
    """An in-lift panel: the floors its car serves, and opening hours for guests."""

    served: frozenset[int]
    hours: OpeningHours | None = None


class KeycardAccess:
    """Implements the gateway's ``Access`` port with the access core."""

    command_types = ACCESS_COMMANDS

    def __init__(self, *, store: Store, site: int, floor: int, clock: TimeSource,
                 facilities: Mapping[str, Facility] | None = None,
                 lifts: Mapping[str, Lift] | None = None) -> None:
        self._store = store
        self._site, self._floor = site, floor
        self._clock = clock
        self._facilities = dict(facilities or {})
        self._lifts = dict(lifts or {})
        with store.transaction():
            self.state = SqliteAccessState(store.database)

    def __call__(self, *, card: bytes, room: str, door: str | None) -> Decision:
        target = Door(site=self._site, floor=self._floor, room=room_number(room))
        # A first use of a newer card raises the room's sequence on the tap's way to the lock:
        # no fsync of its own. It is durable with the tap's access event, recorded right after;
        # a power cut before that loses both, and the node's resent tap is judged again.
        return self._store.reserve.retry_when_full(lambda: self._admit(card, target))

    def _admit(self, card: bytes, target: Door) -> Decision:
        with self._store.relaxed(), self._store.transaction():
            return admit(card, door=target, clock=self._clock, state=self.state)

    def facility(self, *, card: bytes, door: str) -> Decision:
        """Decide a tap at a common area or floor reader: the card's areas or lift floors, and
        for guests the door's opening hours; the same offline rules as a room door."""
        where = self._facilities[door]
        target = Door(site=self._site, floor=self._floor, area=where.area, by_booking=where.by_booking)
        with self._store.relaxed(), self._store.transaction():
            return admit(card, door=target, clock=self._clock, state=self.state, hours=where.hours)

    def lift(self, *, card: bytes, lift: str) -> LiftChoice:
        """Decide a tap in a lift car: the floors the card may select, by the same offline rules."""
        where = self._lifts[lift]
        with self._store.relaxed(), self._store.transaction():
            return choose_floors(card, site=self._site, served=where.served, time=self._clock.read(),
                                 state=self.state, hours=where.hours)

    def apply(self, envelope: Envelope, data: Data) -> None:
        with self._store.transaction():
            outcome = apply_command(envelope.id, envelope.type, data=data, state=self.state,
                                    now=self._clock.read().at)
        if not outcome.ok:
            raise CommandRejected(outcome.error)
