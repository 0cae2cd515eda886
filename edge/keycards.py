"""Signed-keycard access: the access core's decisions and commands over the gateway's store.

Commands change the access tables through the store's writer, in its transactions. A decision
takes no lock that the relay or the confirmations hold: it reads a snapshot of committed state
on a connection of its own (``Store.reading``), the trusted clock without the store's lock, and
the one write a tap makes (a newer guest card's first use raises its rooms' sequence) is seen by
every later decision at once (``RaisedSequences``, in memory) and handed to the store's writer
(``Store.write_soon``), which commits it before the tap's access event: durable with it, as before.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from edge.access.commands import ACCESS_COMMANDS, apply_command
from edge.access.decision import Decision
from edge.access.gate import TimeSource, admit
from edge.access.hours import OpeningHours
from edge.access.lift import LiftChoice, choose_floors
from edge.access.ports import PublicKey
from edge.access.scope import Door
from edge.access.store import AccessReads, SqliteAccessState
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


class RaisedSequences:
    """Room sequences raised by decisions, highest per room: what a later decision must see
    before the store's writer has committed them (they only grow, as in the store)."""

    def __init__(self) -> None:
        self._highest: dict[int, int] = {}
        self._lock = threading.Lock()  # a leaf, held for a dictionary update

    def highest(self, rooms: Iterable[int]) -> int:
        return max((self._highest.get(room, 0) for room in rooms), default=0)

    def raise_(self, rooms: Iterable[int], sequence: int) -> None:
        with self._lock:
            for room in rooms:
                if self._highest.get(room, 0) < sequence:
                    self._highest[room] = sequence


class DecisionState:
    """The access state one decision sees: the reader's snapshot, plus the sequences raised by
    decisions whose write the store's writer may not have committed yet."""

    def __init__(self, conn: sqlite3.Connection, *, raised: RaisedSequences, store: Store,
                 writer: SqliteAccessState) -> None:
        self._reads = AccessReads(conn)
        self._raised, self._store, self._writer = raised, store, writer

    def public_key(self, key_id: int) -> PublicKey | None:
        return self._reads.public_key(key_id)

    def is_revoked(self, credential_id: str) -> bool:
        return self._reads.is_revoked(credential_id)

    def slot_open(self, *, area: int, floor: int, rooms: Iterable[int], at: datetime) -> bool:
        return self._reads.slot_open(area=area, floor=floor, rooms=rooms, at=at)

    def highest_sequence(self, rooms: Iterable[int]) -> int:
        rooms = tuple(rooms)
        return max(self._reads.highest_sequence(rooms), self._raised.highest(rooms))

    def raise_sequence(self, rooms: Iterable[int], sequence: int) -> None:
        rooms = tuple(rooms)
        self._raised.raise_(rooms, sequence)  # the next decision sees it, whatever the writer does
        writer = self._writer
        self._store.write_soon(lambda: writer.raise_sequence(rooms, sequence))


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
        self._raised = RaisedSequences()

    def __call__(self, *, card: bytes, room: str, door: str | None) -> Decision:
        target = Door(site=self._site, floor=self._floor, room=room_number(room))
        # A first use of a newer card raises the room's sequence on the tap's way to the lock:
        # no fsync of its own. It is durable with the tap's access event, recorded right after;
        # a power cut before that loses both, and the node's resent tap is judged again.
        with self._store.reading() as conn:
            return admit(card, door=target, clock=self._clock, state=self._decision_state(conn))

    def _decision_state(self, conn: sqlite3.Connection) -> DecisionState:
        return DecisionState(conn, raised=self._raised, store=self._store, writer=self.state)

    def facility(self, *, card: bytes, door: str) -> Decision:
        """Decide a tap at a common area or floor reader: the card's areas or lift floors, and
        for guests the door's opening hours; the same offline rules as a room door."""
        where = self._facilities[door]
        target = Door(site=self._site, floor=self._floor, area=where.area, by_booking=where.by_booking)
        with self._store.reading() as conn:
            return admit(card, door=target, clock=self._clock, state=self._decision_state(conn),
                         hours=where.hours)

    def lift(self, *, card: bytes, lift: str) -> LiftChoice:
        """Decide a tap in a lift car: the floors the card may select, by the same offline rules."""
        where = self._lifts[lift]
        with self._store.reading() as conn:
            return choose_floors(card, site=self._site, served=where.served, time=self._clock.read(),
                                 state=self._decision_state(conn), hours=where.hours)

    def apply(self, envelope: Envelope, data: Data) -> None:
        with self._store.transaction():
            outcome = apply_command(envelope.id, envelope.type, data=data, state=self.state,
                                    now=self._clock.read().at)
        if not outcome.ok:
            raise CommandRejected(outcome.error)
