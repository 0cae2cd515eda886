"""Classifying inbound messages: a batch of events is stored event by event, its bad items
dead-lettered (and so confirmed) or counted; single events still arrive as before."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloud.ingest import batch as ingest_batch
from cloud.ingest.batch import classify
from mqtt.envelope import utcnow

pytestmark = pytest.mark.unit
GOLDEN = Path(__file__).parents[2] / "mqtt" / "golden"
TOPIC = "posada/v1/hotel/f1/events"


def test_a_batch_and_a_single_event_are_stored_alike_and_confirmed_by_event_id() -> None:
    single = (GOLDEN / "events-room.vacated.json").read_bytes().strip()
    batch = classify(
        [(TOPIC, (GOLDEN / "batch" / "events-events.batch.json").read_bytes()), (TOPIC, single)],
        received_at=utcnow(),
    )
    assert [row["id"] for row in batch.events] == [
        "01JDQ7Z3K8M2YB7V4T9G6QXH1A",
        "01JDQ7Z3K8M2YB7V4T9G6QXH1C",
        json.loads(single)["id"],
    ]
    assert all(row["dead_letter"] is None and row["source"] == "gw.hotel.f1" for row in batch.events)
    assert [row["seq"] for row in batch.events[:2]] == [42, 43]
    assert batch.events[0]["credential_id"] == "01JDQ7YV2C9PXW3MZ8K5N4R6TB"
    assert batch.rejected == []
    assert batch.confirmations() == {("hotel", "f1"): [row["id"] for row in batch.events]}


def test_bad_items_of_a_batch_are_dead_lettered_with_their_id_or_counted_without_one() -> None:
    raw = json.loads((GOLDEN / "batch" / "events-events.batch.json").read_text())
    good = raw["data"]["events"][0]
    raw["data"]["events"] = [
        good,
        {**good, "id": "E2", "data": {"granted": "maybe"}},
        {**good, "id": "E3", "type": "sauna.overheated"},
        {**good, "id": "E4", "ts": "yesterday"},
        {"type": "door.opened"},
        7,
    ]
    batch = classify([(TOPIC, json.dumps(raw).encode())], received_at=utcnow())
    rows = {row["id"]: row["dead_letter"] for row in batch.events}
    assert rows[good["id"]] is None
    assert all(rows[i] for i in ("E2", "E3", "E4")) and len(rows) == 4
    assert sorted(r.reason for r in batch.rejected) == ["data", "envelope", "envelope", "envelope", "type"]


def test_a_batch_on_another_kind_of_topic_is_not_unpacked() -> None:
    payload = (GOLDEN / "batch" / "events-events.batch.json").read_bytes()
    batch = classify([("posada/v1/hotel/f1/ack", payload)], received_at=utcnow())
    assert batch.events == [] and [r.reason for r in batch.rejected] == ["type"]


# --- the clean batch's way (one call over the payload) against the item-by-item way --------------

BASE = json.loads((GOLDEN / "batch" / "events-events.batch.json").read_text())
MISSING = object()
RECEIVED = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _rows_and_rejections(payload: bytes, *, clean: bool) -> tuple[list[dict[str, object]], list[object]]:
    with pytest.MonkeyPatch.context() as patch:
        if not clean:
            patch.setattr(ingest_batch, "_clean_batch", lambda *_: False)
        batch = classify([(TOPIC, payload)], received_at=RECEIVED)
    rows = []
    for row in batch.events:
        ts = row["ts"]
        assert isinstance(ts, datetime) and ts.tzinfo is UTC
        # an item without a time takes the time it is read at, which differs between the two ways
        rows.append({**row, "ts": "now" if abs(ts - datetime.now(UTC)) < timedelta(minutes=5) else ts})
    return rows, list(batch.rejected)


def _assert_alike(payload: bytes) -> None:
    # compared as text: NaN in an event's data is not equal to itself
    assert repr(_rows_and_rejections(payload, clean=True)) == repr(_rows_and_rejections(payload, clean=False))


def _with_item(field: str, value: object) -> bytes:
    raw = copy.deepcopy(BASE)
    item = raw["data"]["events"][1]
    if value is MISSING:
        item.pop(field, None)
    else:
        item[field] = value
    return json.dumps(raw).encode()


ITEM_VARIANTS = [
    ("id", MISSING),
    ("id", ""),
    ("id", "x" * 64),
    ("id", "x" * 65),
    ("id", "bad id!"),
    ("id", 5),
    ("id", None),
    ("id", "É"),
    ("id", "E2"),
    ("type", MISSING),
    ("type", "Door.ajar"),
    ("type", "events.batch"),
    ("type", "sauna.overheated"),
    ("type", 5),
    ("type", "a" * 65),
    ("type", "access.granted"),
    ("ts", MISSING),
    ("ts", "yesterday"),
    ("ts", "2026-01-01T00:00:00"),
    ("ts", "2026-01-01T05:00:00+05:00"),
    ("ts", 1767225600),
    ("ts", "2026-01-01"),
    ("ts", None),
    ("ts", True),
    ("ts", "2026-01-01T00:00:00.123456789Z"),
    ("seq", -1),
    ("seq", "5"),
    ("seq", 5.0),
    ("seq", 5.5),
    ("seq", True),
    ("seq", None),
    ("seq", MISSING),
    ("seq", 2**70),
    ("seq", "x"),
    ("data", MISSING),
    ("data", None),
    ("data", []),
    ("data", "x"),
    ("data", {"seconds_open": "5"}),
    ("data", {"room": "x" * 70}),
    ("data", {"room": 5}),
    ("data", {"credential_id": "c" * 65}),
    ("data", {"room": "101", "extra": {"deep": [1, 2.5, None]}}),
    ("data", {"seconds_open": -1}),
    ("v", 2),
    ("source", "gw.other"),
    ("unknown", {"a": 1}),
]


@pytest.mark.parametrize(("field", "value"), ITEM_VARIANTS)
def test_a_batch_is_classified_alike_whichever_way_reads_it(field: str, value: object) -> None:
    _assert_alike(_with_item(field, value))


def _with_outer(field: str, value: object) -> bytes:
    raw = copy.deepcopy(BASE)
    if value is MISSING:
        raw.pop(field, None)
    else:
        raw[field] = value
    return json.dumps(raw).encode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("v", MISSING),
        ("v", 2),
        ("v", "1"),
        ("v", True),
        ("id", "bad id!"),
        ("id", MISSING),
        ("ts", "soon"),
        ("ts", MISSING),
        ("source", ""),
        ("source", MISSING),
        ("source", "s" * 129),
        ("type", "events.batches"),
        ("data", {"events": "x"}),
        ("data", {"events": []}),
        ("data", {"events": [BASE["data"]["events"][0]] * 1001}),
        ("data", {"events": [7]}),
        ("data", {"events": [BASE["data"]["events"][0]], "more": 1}),
        ("seq", 3),
    ],
)
def test_a_batch_envelope_is_classified_alike_whichever_way_reads_it(field: str, value: object) -> None:
    _assert_alike(_with_outer(field, value))


@pytest.mark.parametrize(
    "payload",
    [
        # repeated keys: the last one counts, in either way
        b'{"v":1,"id":"B1","type":"events.batch","ts":"2026-11-25T14:30:01Z","source":"gw.hotel.f1","data":'
        b'{"events":[{"id":"A1","id":"A2","type":"door.ajar","ts":"2026-11-25T14:30:00Z","seq":1,"seq":2,'
        b'"data":{"room":"101","room":"102"}}]}}',
        b'{"v":1,"v":2,"id":"B1","type":"events.batch","ts":"2026-11-25T14:30:01Z","source":"gw.hotel.f1",'
        b'"data":{"events":[{"id":"A1","type":"door.ajar","ts":"2026-11-25T14:30:00Z","data":{}}]}}',
        # NaN, infinities and a number beyond 64 bits in an event's data
        b'{"v":1,"id":"B1","type":"events.batch","ts":"2026-11-25T14:30:01Z","source":"gw.hotel.f1","data":'
        b'{"events":[{"id":"A1","type":"door.ajar","ts":"2026-11-25T14:30:00Z","data":{"x":NaN,"y":1e400,'
        b'"z":123456789012345678901234567890}}]}}',
        b'not json "events.batch"',
        b'{"v":1,"type":"events.batch"}',
    ],
)
def test_odd_batch_texts_are_classified_alike_whichever_way_reads_them(payload: bytes) -> None:
    _assert_alike(payload)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(field=st.sampled_from(["id", "type", "ts", "seq", "data", "v", "source"]), value=JSON)
def test_any_json_in_an_item_is_classified_alike_whichever_way_reads_it(field: str, value: object) -> None:
    _assert_alike(_with_item(field, value))


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.dictionaries(st.sampled_from(["room", "door", "seconds_open", "credential_id", "x"]), JSON))
def test_any_data_of_a_known_type_is_classified_alike_whichever_way_reads_it(data: dict[str, object]) -> None:
    _assert_alike(_with_item("data", data))


def test_a_clean_batch_is_read_without_the_item_by_item_way(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_: object) -> None:
        raise AssertionError("the item-by-item way was taken")

    monkeypatch.setattr(ingest_batch, "unpack", refuse)
    batch = classify([(TOPIC, json.dumps(BASE).encode())], received_at=RECEIVED)
    assert [row["id"] for row in batch.events] == [item["id"] for item in BASE["data"]["events"]]
    assert batch.rejected == []
