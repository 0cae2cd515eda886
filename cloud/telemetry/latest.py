"""The latest readings per room, kept in the cloud's database.

The portal shows them when no InfluxDB is configured, and the alert rules read them always.
Each reading is kept as ``{"v": value, "at": taken, "since": value held since,
"rising": rising since or None}``; a sample older than the kept one changes nothing, so
late backlog from a gateway cannot roll a room back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from cloud.telemetry.alerts.rules import utc
from cloud.telemetry.errors import TelemetryWriteError
from cloud.telemetry.models import RoomTelemetryLatest
from cloud.telemetry.points import TelemetryPoint
from mqtt.messages import Reading

RoomKey = tuple[str, str, str]
Kept = dict[str, dict[str, Any]]


def merge(kept: Kept, key: str, value: Reading, at: datetime) -> None:
    """Fold one reading into the kept readings of a room (pure, in place)."""
    iso = at.isoformat()
    old = kept.get(key)
    if old is None:
        kept[key] = {"v": value, "at": iso, "since": iso, "rising": None}
        return
    if datetime.fromisoformat(old["at"]) >= at:
        return
    since = old["since"] if old["v"] == value else iso
    rising = old.get("rising")
    if isinstance(value, bool) or not isinstance(old["v"], int | float):
        rising = None
    elif value > old["v"]:
        rising = rising or old["at"]
    elif value < old["v"]:
        rising = None
    kept[key] = {"v": value, "at": iso, "since": since, "rising": rising}


def fold(points: Iterable[TelemetryPoint]) -> dict[RoomKey, list[tuple[datetime, str, Reading]]]:
    """Points grouped per room, in time order."""
    rooms: dict[RoomKey, list[tuple[datetime, str, Reading]]] = {}
    for point in points:
        entries = rooms.setdefault((point.site, point.floor, point.room), [])
        entries.extend((point.at, key, value) for key, value in point.fields.items())
    for entries in rooms.values():
        entries.sort(key=lambda entry: entry[0])
    return rooms


class LatestStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def write(self, points: list[TelemetryPoint]) -> int:
        """Merge a batch; returns how many rooms were touched. One transaction."""
        rooms = fold(points)
        if not rooms:
            return 0
        keys = sorted(rooms)  # a fixed lock order: concurrent workers cannot deadlock
        try:
            self._write(keys, rooms)
        except SQLAlchemyError as exc:
            raise TelemetryWriteError(f"latest readings not stored: {exc}"[:500],
                                      permanent=False) from exc
        return len(keys)

    def _write(self, keys: list[RoomKey],
               rooms: dict[RoomKey, list[tuple[datetime, str, Reading]]]) -> None:
        with self._sessions.begin() as session:
            self._ensure_rows(session, keys)
            rows = session.scalars(
                select(RoomTelemetryLatest)
                .where(tuple_(RoomTelemetryLatest.site, RoomTelemetryLatest.floor,
                              RoomTelemetryLatest.room).in_(keys))
                .order_by(RoomTelemetryLatest.site, RoomTelemetryLatest.floor,
                          RoomTelemetryLatest.room)
                .with_for_update()).all()
            for row in rows:
                self._apply(row, rooms[(row.site, row.floor, row.room)])

    @staticmethod
    def _apply(row: RoomTelemetryLatest, entries: list[tuple[datetime, str, Reading]]) -> None:
        kept: Kept = {k: dict(v) for k, v in (row.readings or {}).items()}
        for at, key, value in entries:
            merge(kept, key, value, at)
        row.readings = kept
        newest = max(entry[0] for entry in entries)
        if row.updated_at is None or newest > utc(row.updated_at):
            row.updated_at = newest

    @staticmethod
    def _ensure_rows(session: Session, keys: list[RoomKey]) -> None:
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        epoch = datetime.fromisoformat("1970-01-01T00:00:00+00:00")
        values = [{"site": s, "floor": f, "room": r, "readings": {}, "updated_at": epoch}
                  for s, f, r in keys]
        session.execute(insert(RoomTelemetryLatest).values(values).on_conflict_do_nothing())

    def rooms(self, *, site: str | None = None) -> list[RoomTelemetryLatest]:
        with self._sessions() as session:
            query = select(RoomTelemetryLatest).order_by(
                RoomTelemetryLatest.site, RoomTelemetryLatest.floor, RoomTelemetryLatest.room)
            if site is not None:
                query = query.where(RoomTelemetryLatest.site == site)
            return list(session.scalars(query).all())
