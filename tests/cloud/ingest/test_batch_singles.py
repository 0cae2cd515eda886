"""Single events (one per message) read the clean way (each envelope in one call, the data in one
call per type) classify exactly as the message-by-message way does: the same rows in the same
order, the same rejections, whatever a hostile sender puts in a field or between messages."""

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
from mqtt.envelope import MAX_PAYLOAD_BYTES

pytestmark = pytest.mark.unit
GOLDEN = Path(__file__).parents[2] / "mqtt" / "golden"
TOPIC = "posada/v1/hotel/f1/events"
RECEIVED = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
MISSING = object()
SINGLES = [json.loads((GOLDEN / f"events-{name}.json").read_text())
           for name in ("access.granted", "door.ajar", "room.vacated", "access.denied")]
Messages = list[tuple[str, bytes]]


def _classified(messages: Messages, *, clean: bool) -> str:
    with pytest.MonkeyPatch.context() as patch:
        if not clean:
            patch.setattr(ingest_batch, "_clean_singles", lambda *_: {})
        batch = classify(messages, received_at=RECEIVED)
    rows = []
    for row in batch.events:
        ts = row["ts"]
        assert isinstance(ts, datetime) and ts.tzinfo is UTC
        # an event without a time takes the time it is read at, and one without an id (which the
        # message-by-message way accepts) a new id, which differ between the two ways
        rows.append({**row, "ts": "now" if abs(ts - datetime.now(UTC)) < timedelta(minutes=5) else ts,
                     "id": row["id"] if any(row["id"].encode() in p for _, p in messages) else "new"})
    # compared as text: NaN in an event's data is not equal to itself
    return repr((rows, batch.rejected, batch.statuses, batch.states, batch.acks, batch.telemetry))


def _assert_alike(messages: Messages) -> None:
    assert _classified(messages, clean=True) == _classified(messages, clean=False)


def _run_with(payload: bytes) -> Messages:
    """The odd payload amid good single events of the same and other types, and on other topics."""
    good = [json.dumps(event).encode() for event in SINGLES]
    return [(TOPIC, good[0]), (TOPIC, payload), (TOPIC, good[1]), ("posada/v1/hotel/f2/events", good[2]),
            (TOPIC, good[3]), ("posada/v1/hotel/f2/events", payload)]


def _with(field: str, value: object, base: int = 0) -> bytes:
    raw = copy.deepcopy(SINGLES[base])
    if value is MISSING:
        raw.pop(field, None)
    else:
        raw[field] = value
    return json.dumps(raw).encode()


VARIANTS = [
    ("id", MISSING), ("id", ""), ("id", "x" * 64), ("id", "x" * 65), ("id", "bad id!"), ("id", 5),
    ("id", None), ("id", "É"),
    ("type", MISSING), ("type", "Door.ajar"), ("type", "events.batch"), ("type", "sauna.overheated"),
    ("type", 5), ("type", "a" * 65), ("type", "door.ajar"), ("type", "room.vacated"),
    ("ts", MISSING), ("ts", "yesterday"), ("ts", "2026-01-01T00:00:00"), ("ts", "2026-01-01T05:00:00+05:00"),
    ("ts", 1767225600), ("ts", "2026-01-01"), ("ts", None), ("ts", True),
    ("ts", "2026-01-01T00:00:00.123456789Z"),
    ("seq", -1), ("seq", "5"), ("seq", 5.0), ("seq", 5.5), ("seq", True), ("seq", None), ("seq", MISSING),
    ("seq", 2**70), ("seq", "x"),
    ("data", MISSING), ("data", None), ("data", []), ("data", "x"), ("data", {"seconds_open": "5"}),
    ("data", {"room": "x" * 70}), ("data", {"room": 5}), ("data", {"credential_id": "c" * 65}),
    ("data", {"room": "101", "extra": {"deep": [1, 2.5, None]}}), ("data", {"granted": "yes"}),
    ("v", MISSING), ("v", 0), ("v", 2), ("v", "1"), ("v", 1.0), ("v", True), ("v", None),
    ("source", MISSING), ("source", ""), ("source", "s" * 129), ("source", 5), ("source", "gw.other"),
    ("unknown", {"a": 1}),
]


@pytest.mark.parametrize(("field", "value"), VARIANTS)
def test_a_single_event_is_classified_alike_whichever_way_reads_it(field: str, value: object) -> None:
    _assert_alike(_run_with(_with(field, value)))


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"not json",
        b"[]",
        b"null",
        b'{"v":1}',
        # two events in one message, and half of one: never taken apart or joined
        b'{"v":1,"id":"A1","type":"door.ajar","source":"gw.hotel.f1","data":{"room":"101"}},'
        b'{"v":1,"id":"A2","type":"door.ajar","source":"gw.hotel.f1","data":{"room":"101"}}',
        b'{"v":1,"id":"A1","type":"door.ajar","source":"gw.hotel.f1","data":{"room":"101"}',
        # repeated keys: the last one counts, in either way
        b'{"v":1,"id":"A1","id":"A2","type":"door.ajar","source":"gw.hotel.f1","data":{"room":"101","room":"102"}}',
        b'{"v":2,"v":1,"id":"A1","type":"door.ajar","source":"gw.hotel.f1","data":{}}',
        # NaN, infinities and a number beyond 64 bits in an event's data
        b'{"v":1,"id":"A1","type":"door.ajar","source":"gw.hotel.f1","data":{"x":NaN,"y":1e400,'
        b'"z":123456789012345678901234567890}}',
        # an escaped type that reads as events.batch
        b'{"v":1,"id":"A1","type":"events\\u002ebatch","source":"gw.hotel.f1","data":{"events":[]}}',
        b'\xef\xbb\xbf{"v":1,"id":"A1","type":"door.ajar","source":"gw.hotel.f1","data":{}}',
        b'{"v":1,"id":"A1","type":"door.ajar","source":"gw.hotel.f1","data":{"room":"\\ud800"}}',
        b'{"v":1,"id":"A1","type":"door.ajar","source":"gw.hotel.f1","data":{"pad":"'
        + b"x" * MAX_PAYLOAD_BYTES + b'"}}',
        (GOLDEN / "batch" / "events-events.batch.json").read_bytes(),
    ],
)
def test_odd_single_texts_are_classified_alike_whichever_way_reads_them(payload: bytes) -> None:
    _assert_alike(_run_with(payload))


@pytest.mark.parametrize(
    "topic",
    ["posada/v1/hotel/f1/status", "posada/v1/hotel/f1/ack", "posada/v1/hotel/f1/rooms/101/state",
     "posada/v1/Hotel/f1/events", "posada/v2/hotel/f1/events", "posada/v1/hotel/f1/events/x", "", "#"],
)
def test_a_single_event_on_another_topic_is_classified_alike_whichever_way_reads_it(topic: str) -> None:
    good = [(TOPIC, json.dumps(event).encode()) for event in SINGLES]
    _assert_alike([good[0], (topic, good[1][1]), good[2], (topic, good[3][1])])


def test_the_same_event_twice_and_from_two_floors_keeps_its_order() -> None:
    event = json.dumps(SINGLES[1]).encode()
    other = "posada/v1/hotel/f2/events"
    _assert_alike([(TOPIC, event), (other, event), (TOPIC, event), (TOPIC, json.dumps(SINGLES[0]).encode())])


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(field=st.sampled_from(["id", "type", "ts", "seq", "data", "v", "source"]), value=JSON,
       base=st.integers(0, len(SINGLES) - 1))
def test_any_json_in_a_field_is_classified_alike_whichever_way_reads_it(field: str, value: object,
                                                                        base: int) -> None:
    _assert_alike(_run_with(_with(field, value, base)))


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.dictionaries(st.sampled_from(["room", "granted", "reason", "credential_id", "x"]), JSON))
def test_any_data_of_a_known_type_is_classified_alike_whichever_way_reads_it(data: dict[str, object]) -> None:
    _assert_alike(_run_with(_with("data", data)))


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(payload=st.binary(max_size=300))
def test_any_bytes_are_classified_alike_whichever_way_reads_them(payload: bytes) -> None:
    _assert_alike(_run_with(payload))


def test_clean_single_events_are_read_without_the_message_by_message_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("the message-by-message way was taken")

    monkeypatch.setattr(ingest_batch, "decode_envelope", refuse)
    monkeypatch.setattr(ingest_batch, "validate_data", refuse)
    messages = [(TOPIC, json.dumps(event).encode()) for event in SINGLES]
    batch = classify(messages, received_at=RECEIVED)
    assert [row["id"] for row in batch.events] == [event["id"] for event in SINGLES]
    assert batch.rejected == [] and all(row["dead_letter"] is None for row in batch.events)
