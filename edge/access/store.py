"""The access state in the gateway's SQLite database, through sqlite-utils."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import sqlite_utils

from edge.access.ports import (
    COMMAND_MEMORY,
    PARKED_LIMIT,
    AppliedCommand,
    BookedSlot,
    PublicKey,
    StoredCredential,
)

TABLES: dict[str, tuple[dict[str, Any], str]] = {
    "access_keys": ({"key_id": int, "public": bytes, "retired_at_us": int, "parent": int,
                     "valid_from_us": int, "valid_until_us": int}, "key_id"),
    "revocations": ({"credential_id": str, "until_us": int, "at_us": int}, "credential_id"),
    "room_sequences": ({"room": int, "sequence": int}, "room"),
    "credentials": ({"credential_id": str, "kind": str, "key_id": int, "floor": int,
                     "rooms": str, "sequence": int, "guest": int, "valid_until_us": int,
                     "card": bytes}, "credential_id"),
    "applied_commands": ({"command_id": str, "type": str, "ok": int, "error": str,
                          "at_us": int}, "command_id"),
    "parked_cards": ({"credential_id": str, "key_id": int, "valid_until_us": int, "card": bytes},
                     "credential_id"),
    "facility_slots": ({"booking_id": str, "area": int, "floor": int, "room": int, "start_us": int,
                        "end_us": int}, "booking_id"),
}


class Executes(Protocol):
    """A connection to the gateway's file: sqlite3's, or sqlite-utils' ``Database``."""

    def execute(self, sql: str, parameters: Any = ..., /) -> sqlite3.Cursor: ...


class AccessReads:
    """What a door decision reads (keys, revocations, room sequences, booked slots), on any
    connection to the gateway's file: a reader's snapshot (``Store.reading``) or the writer's."""

    def __init__(self, conn: Executes) -> None:
        self._conn = conn

    def public_key(self, key_id: int) -> PublicKey | None:
        row = self._one("SELECT public, retired_at_us, parent, valid_from_us, valid_until_us"
                        " FROM access_keys WHERE key_id = ?", [key_id])
        if row is None:
            return None
        return PublicKey(key_id, bytes(row[0]), _from_us(row[1]), parent=row[2],
                         valid_from=_from_us(row[3]), valid_until=_from_us(row[4]))

    def is_revoked(self, credential_id: str) -> bool:
        sql = "SELECT 1 FROM revocations WHERE credential_id = ?"
        return self._one(sql, [credential_id]) is not None

    def highest_sequence(self, rooms: Iterable[int]) -> int:
        rooms = list(rooms)
        marks = ",".join("?" * len(rooms))
        sql = f"SELECT max(sequence) FROM room_sequences WHERE room IN ({marks})"
        row = self._one(sql, rooms)
        return int(row[0]) if row and row[0] is not None else 0

    def slot_open(self, *, area: int, floor: int, rooms: Iterable[int], at: datetime) -> bool:
        rooms = list(rooms)
        if not rooms:
            return False
        marks = ",".join("?" * len(rooms))
        sql = (f"SELECT 1 FROM facility_slots WHERE area = ? AND floor = ? AND room IN ({marks})"
               " AND start_us <= ? AND end_us > ? LIMIT 1")
        at_us = _to_us(at)
        return self._one(sql, [area, floor, *rooms, at_us, at_us]) is not None

    def _one(self, sql: str, params: list[Any]) -> Any:
        return self._conn.execute(sql, params).fetchone()


class SqliteAccessState(AccessReads):
    """Implements AccessState and CommandState. A write commits at once unless inside atomic()."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        super().__init__(db)
        self.db = db
        self._lock = threading.RLock()  # door readers and the command handler share it
        for name, (columns, pk) in TABLES.items():
            if not db.table(name).exists():
                db.table(name).create(columns, pk=pk, not_null={pk})
            _add_missing_columns(db.table(name), columns)
        # A tap at a door that opens by booking looks its rooms' slots up by room.
        db.table("facility_slots").create_index(["room", "area", "floor"], if_not_exists=True)

    def raise_sequence(self, rooms: Iterable[int], sequence: int) -> None:
        with self._write():
            for room in rooms:
                self.db.execute(
                    "INSERT INTO room_sequences (room, sequence) VALUES (?, ?) ON CONFLICT(room)"
                    " DO UPDATE SET sequence = excluded.sequence"
                    " WHERE excluded.sequence > room_sequences.sequence", [room, sequence])

    def put_slot(self, slot: BookedSlot) -> None:
        self._put("facility_slots", [slot.booking_id, slot.area, slot.floor, slot.room,
                                     _to_us(slot.start), _to_us(slot.end)])

    def drop_slot(self, booking_id: str) -> None:
        with self._write():
            self.db.execute("DELETE FROM facility_slots WHERE booking_id = ?", [booking_id])

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._write():
            yield

    def applied(self, command_id: str) -> AppliedCommand | None:
        row = self._one("SELECT type, ok, error FROM applied_commands WHERE command_id = ?",
                        [command_id])
        return AppliedCommand(command_id, row[0], bool(row[1]), row[2]) if row else None

    def record_applied(self, command: AppliedCommand, *, at: datetime) -> None:
        self._put("applied_commands", [command.command_id, command.type, int(command.ok),
                                       command.error, _to_us(at)])

    def put_key(self, key: PublicKey) -> None:
        self._put("access_keys", [key.key_id, key.public, _to_us(key.retired_at), key.parent,
                                  _to_us(key.valid_from), _to_us(key.valid_until)])

    def revoke(self, credential_id: str, *, until: datetime | None, at: datetime) -> None:
        self._put("revocations", [credential_id, _to_us(until), _to_us(at)])

    def put_credential(self, c: StoredCredential) -> None:
        self._put("credentials", [c.credential_id, c.kind, c.key_id, c.floor,
                                  json.dumps(list(c.rooms)), c.sequence, c.guest,
                                  _to_us(c.valid_until), c.card])

    def park(self, credential_id: str, *, key_id: int, valid_until: datetime, card: bytes) -> bool:
        with self._write():
            held = self._one("SELECT count(*), sum(credential_id = ?) FROM parked_cards", [credential_id])
            if not held[1] and held[0] >= PARKED_LIMIT:
                return False
            self._put("parked_cards", [credential_id, key_id, _to_us(valid_until), card])
        return True

    def unpark(self, key_id: int) -> list[bytes]:
        with self._write():
            rows = self.db.execute("SELECT card FROM parked_cards WHERE key_id = ? ORDER BY rowid",
                                   [key_id]).fetchall()
            self.db.execute("DELETE FROM parked_cards WHERE key_id = ?", [key_id])
        return [bytes(row[0]) for row in rows]

    def purge(self, *, now: datetime, keep_commands: timedelta = COMMAND_MEMORY) -> int:
        """Forget revocations and credentials whose cards have expired anyway, and command ids
        older than any redelivery. Returns the number of revocations dropped."""
        with self._write():
            cursor = self.db.execute("DELETE FROM revocations WHERE until_us <= ?", [_to_us(now)])
            self.db.execute("DELETE FROM credentials WHERE valid_until_us <= ?", [_to_us(now)])
            self.db.execute("DELETE FROM parked_cards WHERE valid_until_us <= ?", [_to_us(now)])
            self.db.execute("DELETE FROM facility_slots WHERE end_us <= ?", [_to_us(now)])
            self.db.execute("DELETE FROM applied_commands WHERE at_us <= ?",
                            [_to_us(now - keep_commands)])
        return int(cursor.rowcount)

    def _put(self, table: str, values: list[Any]) -> None:
        columns = ", ".join(TABLES[table][0])
        marks = ", ".join("?" * len(values))
        with self._write():
            self.db.execute(f"INSERT OR REPLACE INTO {table} ({columns}) VALUES ({marks})", values)

    def _one(self, sql: str, params: list[Any]) -> Any:
        with self._lock:
            return super()._one(sql, params)

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One transaction; nested blocks become savepoints of the outer one. Readers in
        other threads wait, so they never see a command half applied."""
        with self._lock, self.db.atomic():
            yield


def open_state(path: str | Path) -> SqliteAccessState:
    """The gateway's access state: WAL, and every commit synced (a revocation must survive a
    power cut)."""
    db = sqlite_utils.Database(sqlite3.connect(str(path), check_same_thread=False))
    db.enable_wal()
    db.execute("PRAGMA synchronous = FULL")
    return SqliteAccessState(db)


def _add_missing_columns(table: sqlite_utils.db.Table, columns: dict[str, Any]) -> None:
    """A gateway upgraded in place keeps its database: new columns are added, empty."""
    present = set(table.columns_dict)
    for name, type_ in columns.items():
        if name not in present:
            table.add_column(name, type_)


def _to_us(at: datetime | None) -> int | None:
    return None if at is None else round(at.timestamp() * 1_000_000)


def _from_us(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1_000_000, UTC)
