"""SQLite's event rows as tuples: the same rows stored, in the same text, as SQLAlchemy's ORM
insert stores them, and the same refusals (a poison event dead-lettered amid good ones)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Engine

from cloud.board.models import EventRecord
from cloud.core.db import make_engine
from cloud.ingest.batch import Batch
from cloud.ingest.isolate import refused, write_isolating
from cloud.ingest.sqlite_rows import _json_dumps, datetime_text
from cloud.ingest.store import EVENTS, IngestStore, WriteResult

EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
STORED = text("SELECT id, site, floor, room, type, ts, source, seq, credential_id, data, received_at, "
              "dead_letter, typeof(ts), typeof(seq), typeof(data), typeof(received_at) "
              "FROM events ORDER BY rowid")


class OrmStore(IngestStore):
    """The store as it wrote SQLite's events before: SQLAlchemy's executemany of the row dicts."""

    def _insert_events_sqlite(self, conn: Connection, rows: list[dict[str, Any]]) -> set[str]:
        ids = [row["id"] for row in rows]
        existing = set(conn.execute(select(EVENTS.c.id).where(EVENTS.c.id.in_(ids))).scalars())
        fresh = [row for row in rows if row["id"] not in existing]
        if fresh:
            conn.execute(sqlite.insert(EVENTS).on_conflict_do_nothing(index_elements=["id"]), fresh)
        return {row["id"] for row in fresh}


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Engine]]:
    made = []
    for name in ("orm", "tuples"):
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp(name)}/events.db")
        EVENTS.create(engine)
        made.append(engine)
    yield made[0], made[1]
    for engine in made:
        engine.dispose()


def _write(store: IngestStore, batch: Batch) -> tuple[list[str], str | None]:
    """Write as the ingest service writes: a refused batch is written again in parts."""
    try:
        result = store.write(batch)
    except Exception as error:
        if not refused(error):
            return [], f"{type(error).__name__}: {error}"
        result, _dead = write_isolating(store.write, batch, error)
    return _ids(result), None


def _ids(result: WriteResult) -> list[str]:
    return [e["id"] for e in result.new_events]


def _stored(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(STORED)]


def _both_ways(engines: tuple[Engine, Engine], batches: list[Batch]) -> None:
    orm, tuples = engines
    for engine in engines:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM events"))
    for batch in batches:
        assert _write(IngestStore(tuples), batch) == _write(OrmStore(orm), batch)
    assert _stored(tuples) == _stored(orm)
    with orm.connect() as a, tuples.connect() as b:  # read back through the ORM's types alike
        assert b.execute(select(EventRecord)).all() == a.execute(select(EventRecord)).all()


ZONES: st.SearchStrategy[Any] = st.one_of(st.none(), st.just(UTC), st.timezones(),
                  st.builds(timezone, st.timedeltas(min_value=timedelta(hours=-23, minutes=-59),
                                                    max_value=timedelta(hours=23, minutes=59))))
INSTANTS = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES)
WORDS = st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)  # what a str column can bind
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12)
DATA = st.one_of(st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=5), JSON_VALUES)


def _rows(draw: st.DrawFn, received_at: datetime, start: int) -> list[dict[str, Any]]:
    shared_ts = draw(INSTANTS)
    rows = []
    for n in range(start, start + draw(st.integers(1, 6))):
        rows.append({
            "id": f"E{n:05d}", "site": draw(WORDS), "floor": draw(WORDS), "room": draw(st.none() | WORDS),
            "type": draw(WORDS), "ts": draw(st.just(shared_ts) | st.just(received_at) | INSTANTS),
            "source": draw(WORDS), "seq": draw(st.none() | st.integers(-(2**63), 2**63 - 1)),
            "credential_id": draw(st.none() | WORDS), "data": draw(DATA), "received_at": received_at,
            "dead_letter": draw(st.none() | WORDS),
        })
    return rows


@st.composite
def batches(draw: st.DrawFn) -> list[Batch]:
    """Two batches; the second repeats some ids of the first (a redelivery)."""
    first_at, second_at = draw(INSTANTS), draw(INSTANTS)
    first = _rows(draw, first_at, 0)
    second = draw(st.lists(st.sampled_from(first), max_size=3)) + _rows(draw, second_at, 100)
    return [Batch(received_at=first_at, events=first), Batch(received_at=second_at, events=second)]


@EXAMPLES
@given(batches())
def test_the_rows_are_stored_as_the_orm_stores_them(engines: tuple[Engine, Engine],
                                                    written: list[Batch]) -> None:
    _both_ways(engines, written)


def test_a_poison_event_amid_good_ones_is_dead_lettered_alike(engines: tuple[Engine, Engine]) -> None:
    """A lone surrogate in a text column: the driver cannot bind it, both ways."""
    at = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    rows = [{"id": f"E{n:05d}", "site": "hotel", "floor": "f1", "room": "101", "type": "tamper",
             "ts": at - timedelta(seconds=n), "source": "gw.hotel.f1", "seq": n, "credential_id": None,
             "data": {"room": "101", "detail": f"n{n}"}, "received_at": at, "dead_letter": None}
            for n in range(40)]
    rows[17] = {**rows[17], "room": "\ud800", "data": {"room": "\ud800", "detail": "NUL\u0000"}}
    _both_ways(engines, [Batch(received_at=at, events=rows)])
    dead = [r for r in _stored(engines[1]) if r[11] is not None]
    assert [r[0] for r in dead] == ["E00017"] and "the database refused it" in dead[0][11]
    assert len(_stored(engines[1])) == 40


@EXAMPLES
@given(INSTANTS)
def test_a_datetime_is_written_as_sqlalchemys_sqlite_datetime(at: datetime) -> None:
    processor = EVENTS.c.ts.type.dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
    assert processor is not None
    assert datetime_text(at) == processor(at)


JSON_ODD = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=2**64, max_value=2**200)
    | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4), max_leaves=20)


@EXAMPLES
@given(JSON_ODD)
def test_data_is_written_as_json_dumps_writes_it(data: Any) -> None:
    assert _json_dumps()(data) == json.dumps(data)
