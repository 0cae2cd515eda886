"""The ingest store: events exactly once by id, whether a batch is all new (COPY straight into
``events`` on PostgreSQL) or repeats ids stored earlier (the staging path)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from cloud.board.models import EventRecord
from cloud.core.db import make_engine
from cloud.ingest.batch import Batch
from cloud.ingest.store import IngestStore, data_json

pytestmark = pytest.mark.service
AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _row(n: int) -> dict[str, object]:
    return {
        "id": f"E{n:05d}",
        "site": "hotel",
        "floor": "f1",
        "room": "101",
        "type": "door.opened",
        "ts": AT,
        "source": "gw.hotel.f1",
        "seq": n,
        "credential_id": None,
        "data": {"room": "101"},
        "received_at": AT,
        "dead_letter": None,
    }


def test_a_redelivered_id_is_stored_once_and_only_new_events_are_reported(db_url: str) -> None:
    engine = make_engine(db_url)
    EventRecord.__table__.create(engine, checkfirst=True)  # the only table a batch touches
    store = IngestStore(engine)
    first = store.write(Batch(received_at=AT, events=[_row(n) for n in range(1, 4)]))
    again = store.write(Batch(received_at=AT, events=[_row(n) for n in range(2, 6)]))
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(EventRecord)).scalar_one()
    engine.dispose()
    assert [e["id"] for e in first.new_events] == ["E00001", "E00002", "E00003"]
    assert sorted(e["id"] for e in again.new_events) == ["E00004", "E00005"]
    assert stored == 5


ODD_DATA = [
    {"room": "101", "detail": 'é ü 漢字 \u2028 "quoted" back\\slash \t tab 😀'},
    {
        "n": [
            0,
            -1,
            2**63 - 1,
            -(2**63),
            1.5,
            -0.0,
            1e16,
            1.5e-7,
            0.1,
            123456.789,
            5e-324,
            1.7976931348623157e308,
        ]
    },
    {"big": 123456789012345678901234567890, "nested": {"a": [{"b": None}], "c": True, "d": False}},
    {"null": None, "empty": {}, "list": [], "text": "null"},
    {"deep": {"a": {"b": {"c": {"d": {"e": [[[[1]]]]}}}}}},
]


def test_data_is_stored_as_the_same_json_value_whichever_writer_writes_it(pg_url: str) -> None:
    """``data_json`` (orjson, json.dumps where orjson would write otherwise) gives ``jsonb`` the
    value ``json.dumps`` gave it."""
    engine = make_engine(pg_url)
    rows = []
    for n, data in enumerate(ODD_DATA):
        rows.append({**_row(2 * n), "data": data})
        rows.append({**_row(2 * n + 1), "data": json.loads(data_json(data))})
    IngestStore(engine).write(Batch(received_at=AT, events=rows))
    with engine.connect() as conn:
        stored = {r[0]: r[1] for r in conn.execute(text("SELECT id, data::text FROM events"))}
        # the same jsonb value as json.dumps's text would have given
        for n, data in enumerate(ODD_DATA):
            expected = conn.execute(
                text("SELECT CAST(:j AS jsonb)::text"), {"j": json.dumps(data)}
            ).scalar_one()
            assert stored[f"E{2 * n:05d}"] == expected == stored[f"E{2 * n + 1:05d}"]
    engine.dispose()


@pytest.mark.parametrize(
    ("data", "text_"),
    [
        ({"x": float("nan")}, "NaN"),
        ({"x": float("inf")}, "Infinity"),
        ({"x": None, "y": float("-inf")}, "-Infinity"),
        ({"a": [None, {"b": [1, float("nan")]}], "c": "null"}, "NaN"),
    ],
)
def test_non_finite_numbers_are_written_as_json_dumps_writes_them(
    data: dict[str, object], text_: str
) -> None:
    """orjson writes NaN and infinities as null; ``jsonb`` refuses json.dumps's NaN/Infinity, so such
    an event is dead-lettered, as it was, rather than stored with null in their place."""
    assert data_json(data) == json.dumps(data) and text_ in data_json(data)


def test_data_with_null_and_no_nan_is_still_written_by_orjson() -> None:
    assert data_json({"room": "101", "door": None, "floors": [None, 1.5]}) == (
        '{"room":"101","door":null,"floors":[null,1.5]}'
    )


@pytest.mark.parametrize(
    "data",
    [{"big": 2**64}, {"lone": "\ud800"}, {"room": "101", "door": None}, {"a": 1.0, "b": "x"}]
    + [{"k": v} for v in ODD_DATA],
)
def test_data_json_is_json_dumps_value(data: dict[str, object]) -> None:
    if "\ud800" in str(data):
        assert data_json(data) == json.dumps(data)
    else:
        assert json.loads(data_json(data)) == json.loads(json.dumps(data)) == data
