"""Writes a classified batch in one transaction; events exactly once by id."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import orjson
import psycopg
from sqlalchemy import Connection, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from cloud.board.models import EventRecord, Gateway, Rejection, RoomStatus
from cloud.board.partitions import EventPartitions, month_of
from cloud.commands.models import Command
from cloud.ingest.batch import BAD_ITEM_TYPE, Batch
from cloud.ingest.sqlite_rows import SqliteEventRows

EVENTS: Table = EventRecord.__table__  # type: ignore[assignment]
EVENT_COLUMNS = ["id", "site", "floor", "room", "type", "ts", "source", "seq", "credential_id", "data",
                 "received_at", "dead_letter"]  # the order of the COPY rows and of SQLite's tuples

_BEFORE_DATA = itemgetter(*EVENT_COLUMNS[:EVENT_COLUMNS.index("data")])
assert EVENT_COLUMNS[-3:] == ["data", "received_at", "dead_letter"]  # as _copy writes them


def data_json(data: dict[str, Any]) -> str:
    """An event's data as JSON text for ``jsonb``: orjson's, which ``jsonb`` reads as the same
    value as ``json.dumps``'s (it keeps no spacing, escapes nor number spelling), and which
    costs a fraction. ``json.dumps`` still writes what orjson would not write alike: integers
    beyond 64 bits, lone surrogates, deep nesting (orjson refuses them), and NaN and infinities,
    which orjson writes as ``null`` (``json.dumps`` writes ``NaN``/``Infinity``, which ``jsonb``
    refuses, so such an event is dead-lettered as before, never stored with a null instead).
    Text that holds ``null`` is read back to tell a None from those: NaN equals nothing.
    """
    try:
        text = orjson.dumps(data)
    except orjson.JSONEncodeError:
        return json.dumps(data)
    if b"null" in text and orjson.loads(text) != data:
        return json.dumps(data)
    return text.decode()


# A hook runs inside the batch's transaction with the rows that were new to the database.
EventHook = Callable[[Connection, list[dict[str, Any]]], None]
BatchHook = Callable[[Connection, Batch], None]


@dataclass
class WriteResult:
    new_events: list[dict[str, Any]] = field(default_factory=list)
    changed_rooms: set[tuple[str, str, str]] = field(default_factory=set)
    changed_gateways: set[tuple[str, str]] = field(default_factory=set)


class IngestStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.partitions = EventPartitions(engine)
        self.event_hooks: list[EventHook] = []
        self.batch_hooks: list[BatchHook] = []
        self.sqlite_rows = None if self.postgres else SqliteEventRows(EVENTS, EVENT_COLUMNS, engine.dialect)

    def write(self, batch: Batch) -> WriteResult:
        result = WriteResult()
        # a partition a batch needs is made before its transaction, in one of its own (rarely:
        # a new property, or the first event of a month the periodic round did not make ahead)
        if self.partitions.postgres:
            self.partitions.ensure({(row["site"], month_of(row["ts"])) for row in batch.events})
        with self.engine.begin() as conn:
            result.new_events = self._insert_events(conn, batch.events)
            for (topic, envelope, status) in batch.statuses:
                self._upsert_gateway(conn, topic.site, topic.floor, status, envelope.ts)
                result.changed_gateways.add(topic.floor_key)
            for (topic, envelope, state) in batch.states:
                if self._upsert_room(conn, topic.site, topic.floor, state, envelope.ts):
                    result.changed_rooms.add((topic.site, topic.floor, state.room))
            for (_topic, ack) in batch.acks:
                conn.execute(update(Command).where(Command.id == ack.command_id, Command.acked_at.is_(None))
                             .values(acked_at=batch.received_at, ack_ok=ack.ok, ack_error=ack.error or None))
            self._count_rejections(conn, batch)
            for hook in self.batch_hooks:
                hook(conn, batch)
            if result.new_events:
                for event_hook in self.event_hooks:
                    event_hook(conn, result.new_events)
        return result

    # --- events -----------------------------------------------------------------------------

    def _insert_events(self, conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not rows:
            return []
        unique = list({row["id"]: row for row in rows}.values())
        if self.postgres:
            new_ids = self._copy_events_pg(conn, unique)
        else:
            new_ids = self._insert_events_sqlite(conn, unique)
        return [row for row in unique if row["id"] in new_ids]

    def _insert_events_sqlite(self, conn: Connection, rows: list[dict[str, Any]]) -> set[str]:
        ids = [row["id"] for row in rows]
        existing: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            existing.update(conn.execute(select(EVENTS.c.id).where(EVENTS.c.id.in_(chunk))).scalars())
        fresh = [row for row in rows if row["id"] not in existing]
        if fresh:
            assert self.sqlite_rows is not None
            # SQLAlchemy's own statement and text, with its errors (``refused`` reads them)
            conn.exec_driver_sql(self.sqlite_rows.statement, self.sqlite_rows.rows(fresh))
        return {row["id"] for row in fresh}

    def _copy_events_pg(self, conn: Connection, rows: list[dict[str, Any]]) -> set[str]:
        """COPY straight into ``events`` under a savepoint (the common case: every id is new);
        when an id is there already (a redelivery), through a staging table and ``ON CONFLICT DO
        NOTHING`` instead, which costs a second pass over the rows."""
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            rows = self._without_stored_bad_items(cur, rows)
            if not rows:
                return set()
            cur.execute("SAVEPOINT events_copy")
            try:
                self._copy(cur, "events", rows)
            except psycopg.errors.UniqueViolation:
                cur.execute("ROLLBACK TO SAVEPOINT events_copy")
            else:
                cur.execute("RELEASE SAVEPOINT events_copy")
                return {r["id"] for r in rows}
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS events_staging "
                        "(LIKE events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
            self._copy(cur, "events_staging", rows)
            cur.execute(f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
                        f"SELECT {', '.join(EVENT_COLUMNS)} FROM events_staging "
                        "ON CONFLICT DO NOTHING RETURNING id")
            inserted = {r[0] for r in cur.fetchall()}
            # no TRUNCATE: ON COMMIT DELETE ROWS empties the staging table (and a failed
            # transaction leaves nothing in it)
        return inserted

    @staticmethod
    def _without_stored_bad_items(cur: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The key of a partitioned ``events`` is (id, site, ts): an event comes back with its
        own ts, but the dead letter of an unreadable item of a batch carries the batch's, new at
        each resend. Those ids (rare) are looked for by site and id alone."""
        bad = [(r["site"], r["id"]) for r in rows if r["type"] == BAD_ITEM_TYPE]
        if not bad:
            return rows
        cur.execute("SELECT site, id FROM events "
                    "WHERE (site, id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
                    ([s for s, _ in bad], [i for _, i in bad]))
        stored = set(cur.fetchall())
        return [r for r in rows if r["type"] != BAD_ITEM_TYPE or (r["site"], r["id"]) not in stored]

    @staticmethod
    def _copy(cur: Any, table: str, rows: list[dict[str, Any]]) -> None:
        # a batch's rows share one receiving time: its text is made once (a datetime's dumping
        # was a quarter of write_row's cost), and PostgreSQL reads the same instant from it
        received: dict[Any, str] = {}
        with cur.copy(f"COPY {table} ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
            for r in rows:
                at = r["received_at"]
                at_text = received.get(at)
                if at_text is None:
                    at_text = received[at] = at.isoformat()
                copy.write_row((*_BEFORE_DATA(r), data_json(r["data"]), at_text, r["dead_letter"]))

    # --- board ------------------------------------------------------------------------------

    def _insert(self) -> Any:
        return postgresql.insert if self.postgres else sqlite.insert

    def _upsert_gateway(self, conn: Connection, site: str, floor: str, status: Any, ts: Any) -> None:
        values = {"site": site, "floor": floor, "state": status.state, "version": status.version,
                  "clock_offset_s": status.clock_offset_s, "last_seen": ts}
        stmt = self._insert()(Gateway.__table__).values(**values)
        update_cols = {k: stmt.excluded[k] for k in ("state", "version", "clock_offset_s", "last_seen")}
        conn.execute(stmt.on_conflict_do_update(index_elements=["site", "floor"], set_=update_cols))

    def _upsert_room(self, conn: Connection, site: str, floor: str, state: Any, ts: Any) -> bool:
        last = state.last_access
        values = {
            "site": site, "floor": floor, "room": state.room, "occupied": state.occupied,
            "guest_present": state.guest_present, "door": state.door, "lock": state.lock,
            "dnd": state.dnd, "housekeeping": state.housekeeping,
            "last_access_at": last.at if last else None,
            "last_access_granted": last.granted if last else None,
            "last_access_credential": last.credential_id if last else None,
            "last_access_reason": last.reason if last else None,
            "updated_at": state.updated_at or ts,
        }
        table = RoomStatus.__table__
        stmt = self._insert()(table).values(**values)
        keys = [k for k in values if k not in ("site", "floor", "room")]
        stmt = stmt.on_conflict_do_update(
            index_elements=["site", "floor", "room"],
            set_={k: stmt.excluded[k] for k in keys},
            where=(table.c.updated_at.is_(None)) | (table.c.updated_at <= stmt.excluded.updated_at),
        )
        return bool(conn.execute(stmt).rowcount)

    def _count_rejections(self, conn: Connection, batch: Batch) -> None:
        if not batch.rejected:
            return
        counts = Counter((r.kind, r.reason) for r in batch.rejected)
        details = {(r.kind, r.reason): r.detail for r in batch.rejected}
        table = Rejection.__table__
        for (kind, reason), n in counts.items():
            stmt = self._insert()(table).values(kind=kind, reason=reason, count=n,
                                                last_detail=details[(kind, reason)][:500],
                                                last_at=batch.received_at)
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["kind", "reason"],
                set_={"count": table.c.count + n, "last_detail": stmt.excluded.last_detail,
                      "last_at": stmt.excluded.last_at},
            ))
