"""Where the last trusted time survives a reboot: a sqlite-utils table, or memory for tests."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils


class SqliteTimeStore:
    """One row in ``trusted_time`` of the gateway's database."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db
        self._table = db.table("trusted_time")
        if not self._table.exists():
            self._table.create({"id": int, "at_us": int}, pk="id")

    def load(self) -> datetime | None:
        rows = list(self._db.query("SELECT at_us FROM trusted_time WHERE id = 1"))
        if not rows:
            return None
        return datetime.fromtimestamp(rows[0]["at_us"] / 1_000_000, UTC)

    def save(self, at: datetime) -> None:
        micros = round(at.timestamp() * 1_000_000)
        self._table.upsert({"id": 1, "at_us": micros}, pk="id")


class MemoryTimeStore:
    """In-memory twin; ``saved`` lists every save for assertions."""

    def __init__(self, at: datetime | None = None) -> None:
        self.saved: list[datetime] = [at] if at else []

    def load(self) -> datetime | None:
        return self.saved[-1] if self.saved else None

    def save(self, at: datetime) -> None:
        self.saved.append(at)
