"""A door decision's reads in one statement, on a reading connection of the gateway's store.

Each SQLite call lets go of the interpreter lock, and while the floor drains a backlog the relay
and the MQTT threads take it every time: a decision of a dozen calls waited a dozen times for it
to come back. What the decision will ask follows from the card's own claims (its key id,
credential, rooms, floor) and the door, so all of it is read in one statement (one snapshot, no
transaction). A question the statement did not answer raises ``NotPrefetched``: the caller decides
again on a snapshot of its own (``Store.reading``), so nothing is ever judged from a guess.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from edge.access.decision import effective_now
from edge.access.ports import PublicKey
from edge.access.scope import Door
from edge.access.store import key_of, to_us
from edge.clock import TimeReading
from mqtt.keycard import CardFormatError, Kind, parse_card

KEY_COLUMNS = "public, retired_at_us, parent, valid_from_us, valid_until_us"


class NotPrefetched(LookupError):
    """The decision asked something the one statement did not read."""


@dataclass(frozen=True, slots=True)
class PrefetchedReads:
    """The answers to the questions a decision on this card at this door will ask."""

    key_id: int | None = None
    key: PublicKey | None = None
    parent: PublicKey | None = None  # the key's parent, for a delegated key
    credential_ref: str | None = None
    revoked: bool = False
    rooms: tuple[int, ...] | None = None
    highest: int = 0
    slot: tuple[int, int, tuple[int, ...], datetime] | None = None  # (area, floor, rooms, at) asked
    slot_open_: bool = False

    def public_key(self, key_id: int) -> PublicKey | None:
        if key_id == self.key_id:
            return self.key
        if self.key is not None and self.key.parent == key_id:
            return self.parent
        raise NotPrefetched(f"key {key_id}")

    def is_revoked(self, credential_id: str) -> bool:
        if credential_id != self.credential_ref:
            raise NotPrefetched(f"revocation of {credential_id}")
        return self.revoked

    def highest_sequence(self, rooms: Iterable[int]) -> int:
        if tuple(rooms) != self.rooms:
            raise NotPrefetched("room sequences")
        return self.highest

    def slot_open(self, *, area: int, floor: int, rooms: Iterable[int], at: datetime) -> bool:
        if (area, floor, tuple(rooms), at) != self.slot:
            raise NotPrefetched("booked slot")
        return self.slot_open_


def prefetch(conn: sqlite3.Connection, data: bytes, *, door: Door, time: TimeReading) -> PrefetchedReads:
    """Read, in one statement, what deciding on ``data`` at ``door`` at ``time`` will ask."""
    try:
        card = parse_card(data).card
    except CardFormatError:
        return PrefetchedReads()  # refused before any question
    rooms = card.rooms
    marks = ",".join("?" * len(rooms))
    slot_sql, slot_params, slot = "0", [], None
    if door.by_booking and door.area is not None and card.kind is Kind.GUEST and rooms:
        at = effective_now(card, time)
        slot = (int(door.area), card.floor, rooms, at)
        slot_sql = (f"EXISTS (SELECT 1 FROM facility_slots WHERE area = ? AND floor = ? AND room IN"
                    f" ({marks}) AND start_us <= ? AND end_us > ?)")
        slot_params = [int(door.area), card.floor, *rooms, to_us(at), to_us(at)]
    sql = (f"SELECT {_columns('k')}, {_columns('p')},"
           " EXISTS (SELECT 1 FROM revocations WHERE credential_id = ?),"
           f" (SELECT max(sequence) FROM room_sequences WHERE room IN ({marks})), {slot_sql}"
           " FROM (SELECT ? AS wanted) AS w LEFT JOIN access_keys AS k ON k.key_id = w.wanted"
           " LEFT JOIN access_keys AS p ON p.key_id = k.parent")
    row = conn.execute(sql, [card.credential_ref, *rooms, *slot_params, card.key_id]).fetchone()
    key = key_of(card.key_id, row[0:5])
    parent = key_of(key.parent, row[5:10]) if key is not None and key.parent is not None else None
    return PrefetchedReads(key_id=card.key_id, key=key, parent=parent, credential_ref=card.credential_ref,
                           revoked=bool(row[10]), rooms=rooms, highest=int(row[11] or 0), slot=slot,
                           slot_open_=bool(row[12]))


def _columns(alias: str) -> str:
    return ", ".join(f"{alias}.{column.strip()}" for column in KEY_COLUMNS.split(","))
