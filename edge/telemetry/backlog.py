"""Telemetry kept on the gateway while the broker is unreachable, downsampled.

A table of its own (``telemetry_backlog``) beside the event outbox: one row per room and
downsampling bucket, the latest value of each reading in that bucket winning. The table is
bounded; past ``max_rows`` the oldest buckets go first (telemetry is worth less than room
for events on a full card).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlite_utils

from edge.telemetry.sensors import Reading, Readings

TABLE = "telemetry_backlog"


@dataclass(frozen=True, slots=True)
class BacklogRow:
    id: int
    room: str
    at: datetime
    readings: dict[str, Reading]


class TelemetryBacklog:
    def __init__(self, db: sqlite_utils.Database, *, bucket_s: int = 60,
                 max_rows: int = 50_000) -> None:
        if bucket_s < 1 or max_rows < 1:
            raise ValueError("bucket_s and max_rows must be positive")
        self._db = db
        self._bucket_s = bucket_s
        self._max_rows = max_rows
        self.dropped = 0
        if TABLE not in db.table_names():
            db[TABLE].create(  # type: ignore[union-attr]
                {"id": int, "room": str, "bucket": int, "at": float, "readings": str},
                pk="id",
            )
            db[TABLE].create_index(["room", "bucket"], unique=True)  # type: ignore[union-attr]

    def keep(self, room: str, at: datetime, readings: Readings) -> None:
        """Merge readings into the room's bucket for ``at``."""
        if not readings:
            return
        bucket = int(at.timestamp()) // self._bucket_s
        with self._db.conn:
            row = self._db.execute(
                f"SELECT id, at, readings FROM {TABLE} WHERE room = ? AND bucket = ?",
                [room, bucket]).fetchone()
            if row is None:
                self._db.execute(
                    f"INSERT INTO {TABLE} (room, bucket, at, readings) VALUES (?, ?, ?, ?)",
                    [room, bucket, at.timestamp(), json.dumps(dict(readings))])
                self._trim()
                return
            merged = json.loads(row[2])
            if at.timestamp() >= row[1]:
                merged.update(readings)
                stamp = at.timestamp()
            else:
                merged = {**readings, **merged}
                stamp = row[1]
            self._db.execute(f"UPDATE {TABLE} SET at = ?, readings = ? WHERE id = ?",
                             [stamp, json.dumps(merged), row[0]])

    def _trim(self) -> None:
        excess = self.depth() - self._max_rows
        if excess > 0:
            self._db.execute(
                f"DELETE FROM {TABLE} WHERE id IN "
                f"(SELECT id FROM {TABLE} ORDER BY bucket, id LIMIT ?)",
                [excess])
            self.dropped += excess

    def oldest(self, limit: int) -> list[BacklogRow]:
        rows = self._db.execute(
            f"SELECT id, room, at, readings FROM {TABLE} ORDER BY bucket, id LIMIT ?",
            [limit]).fetchall()
        return [BacklogRow(r[0], r[1], datetime.fromtimestamp(r[2], UTC), json.loads(r[3]))
                for r in rows]

    def forget(self, ids: list[int]) -> None:
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        with self._db.conn:
            self._db.execute(f"DELETE FROM {TABLE} WHERE id IN ({marks})", ids)

    def depth(self) -> int:
        return int(self._db.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0])
