"""The node's outbox: every operation the desk did, durable before it is told done, kept in
order until the cloud confirms it stored it. SQLite, WAL, every commit synced (desk operations
are few; a checked-in guest must survive a power cut). Implements ``edge.outbox.OutboxRows``,
so the gateway's relay policy drives the resends.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from edge.outbox import OutboxEntry
from mqtt.envelope import new_id
from mqtt.node_messages import OPERATIONS, CheckedOut, NodeOperation

SCHEMA = """
CREATE TABLE IF NOT EXISTS node_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    last_sent REAL
);
CREATE TABLE IF NOT EXISTS node_invoice_series (
    series TEXT PRIMARY KEY,
    last_number INTEGER NOT NULL
);
"""
_COLUMNS = "seq, id, type, data, created_us"


class NodeOutbox:
    """One connection shared by the node's threads, serialised by a lock."""

    def __init__(self, path: str | Path) -> None:
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")
        self._conn.executescript(SCHEMA)

    def record(self, type_: str, op: NodeOperation, *, at: datetime) -> OutboxEntry:
        """Keep one operation; returns only once it is on disk."""
        if OPERATIONS.get(type_) is not type(op):
            raise ValueError(f"{type_!r} is not the type of {type(op).__name__}")
        with self._lock:
            return self._insert(type_, op, at=at)

    def _insert(self, type_: str, op: NodeOperation, *, at: datetime) -> OutboxEntry:
        data = op.model_dump_json(exclude_none=True)
        event_id = new_id()
        cursor = self._conn.execute(
            "INSERT INTO node_outbox (id, type, data, created_us) VALUES (?, ?, ?, ?)",
            [event_id, type_, data, round(at.timestamp() * 1_000_000)],
        )
        seq = cursor.lastrowid
        assert seq is not None
        return OutboxEntry(
            seq=seq, id=event_id, type=type_, room=None, data=json.loads(data), created=at, data_json=data
        )

    def check_out(
        self,
        *,
        reservation_id: str,
        series: str,
        total_minor: int,
        currency: str,
        at: datetime,
        staff: str = "",
    ) -> CheckedOut:
        """Record a check-out with the next number of the node's series: the number and the
        event are written in one transaction, so no number is ever taken without its event
        (a kill between the two leaves neither) and the series has no gap."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute("INSERT OR IGNORE INTO node_invoice_series VALUES (?, 0)", [series])
                number = self._conn.execute(
                    "UPDATE node_invoice_series SET last_number = last_number + 1"
                    " WHERE series = ? RETURNING last_number",
                    [series],
                ).fetchone()[0]
                op = CheckedOut(
                    at=at,
                    staff=staff,
                    reservation_id=reservation_id,
                    invoice_id=new_id(),
                    series=series,
                    number=int(number),
                    total_minor=total_minor,
                    currency=currency,
                )
                self._insert("node.check_out", op, at=at)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return op

    def pending_operations(self) -> list[NodeOperation]:
        """What the desk did that the cloud has not confirmed yet, in order."""
        return [OPERATIONS[e.type].model_validate(e.data) for e in self.after(0, limit=100_000)]

    def after(self, seq: int, *, limit: int, with_data: bool = True) -> list[OutboxEntry]:
        return self._entries("WHERE seq > ? ORDER BY seq LIMIT ?", [seq, limit])

    def stale(
        self, *, sent_before: float, up_to_seq: int, limit: int, with_data: bool = True
    ) -> list[OutboxEntry]:
        return self._entries(
            "WHERE last_sent IS NOT NULL AND last_sent < ? AND seq <= ? ORDER BY seq LIMIT ?",
            [sent_before, up_to_seq, limit],
        )

    def mark_sent(self, seqs: Iterable[int], *, at: float) -> None:
        with self._lock:
            self._conn.executemany(
                "UPDATE node_outbox SET last_sent = ? WHERE seq = ?", [(at, seq) for seq in seqs]
            )

    def confirm(self, *, ids: Iterable[str] = (), up_to_seq: int | None = None) -> int:
        """Forget what the cloud stored; returns how many rows went."""
        removed = 0
        with self._lock:
            if up_to_seq is not None:
                removed += self._conn.execute(
                    "DELETE FROM node_outbox WHERE seq <= ? AND last_sent IS NOT NULL", [up_to_seq]
                ).rowcount
            removed += sum(
                self._conn.execute("DELETE FROM node_outbox WHERE id = ?", [i]).rowcount for i in ids
            )
        return removed

    def pending(self) -> tuple[int, datetime | None]:
        """How many operations wait for the cloud, and since when the oldest."""
        with self._lock:
            count, oldest = self._conn.execute("SELECT count(*), min(created_us) FROM node_outbox").fetchone()
        return int(count), None if oldest is None else datetime.fromtimestamp(oldest / 1e6, UTC)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _entries(self, where: str, params: list[object]) -> list[OutboxEntry]:
        with self._lock:
            rows = self._conn.execute(f"SELECT {_COLUMNS} FROM node_outbox {where}", params).fetchall()
        return [
            OutboxEntry(
                seq=r[0],
                id=r[1],
                type=r[2],
                room=None,
                data=json.loads(r[3]),
                created=datetime.fromtimestamp(r[4] / 1e6, UTC),
                data_json=r[3],
            )
            for r in rows
        ]
