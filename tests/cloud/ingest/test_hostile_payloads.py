"""Hostile payloads on every topic the cloud subscribes to: garbage, oversize and wrong-type bodies are
each rejected and counted by the ingest's sorting (and by the telemetry worker's decoder); none raises,
none reaches a table except as a dead-lettered event."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloud.ingest.batch import Batch, classify
from mqtt.codec import ContractError, decode
from mqtt.envelope import MAX_PAYLOAD_BYTES
from mqtt.topics import subscriptions_for_cloud

pytestmark = pytest.mark.unit
NOW = datetime(2027, 3, 1, tzinfo=UTC)
# one concrete topic per filter the cloud subscribes to, and the message type that topic carries
TOPICS = {
    "status": ("posada/v1/hotel/f1/status", "gateway.status"),
    "events": ("posada/v1/hotel/f1/events", "access.granted"),
    "ack": ("posada/v1/hotel/f1/ack", "cmd.ack"),
    "state": ("posada/v1/hotel/f1/rooms/101/state", "room.state"),
    "telemetry": ("posada/v1/hotel/f1/rooms/101/telemetry", "room.telemetry"),
}
WRONG_DATA: list[Any] = [[], "text", 7, None, {"room": 101}]  # wrong for every type
WRONG_FIELDS: dict[str, list[dict[str, Any]]] = {  # the type's own fields, each of a wrong type
    "gateway.status": [{"state": 3}, {"state": "online", "rooms": -1}, {"state": "online", "time": "noon"}],
    "access.granted": [{"room": "101", "granted": "maybe"}, {"room": ["101"]}, {"room": "101", "reason": 5}],
    "cmd.ack": [{"command_id": 5}, {"command_id": "c1", "ok": "perhaps"}, {"command_id": "c" * 65}],
    "room.state": [{"room": "101", "occupied": "perhaps"}, {"room": "101", "door": 5}, {"room": "ROOM 1"}],
    "room.telemetry": [
        {"room": "101", "readings": []},
        {"room": "101", "readings": {"t": "hot"}},
        {"room": "101", "samples": [{"at": "noon"}]},
    ],
}


def _envelope(kind: str, **over: Any) -> bytes:
    body = {
        "v": 1,
        "id": "01J0000000000000000000000A",
        "type": kind,
        "source": "gw.hotel.f1",
        "ts": "2027-03-01T00:00:00Z",
        "data": {},
    }
    return json.dumps({**body, **over}).encode()


def garbage() -> list[bytes]:
    return [
        b"",
        b"\xff\xfe\x00",
        b"not json",
        b"[1,2]",
        b"null",
        b'"online"',
        b"1e999999",
        b"[" * 5000 + b"]" * 5000,
        b'{"v":1',
        b'{"v":"1"}',
        b'{"v":9,"id":"x"}',
    ]


def oversize() -> list[bytes]:
    pad = "x" * (MAX_PAYLOAD_BYTES + 1)
    return [b" " * (MAX_PAYLOAD_BYTES + 1), _envelope("room.telemetry", data={"pad": pad})]


def wrong_type(kind: str) -> list[bytes]:
    envelope_fields = [
        _envelope(kind, v="1"),
        _envelope(kind, id=5),
        _envelope(kind, ts="yesterday"),
        _envelope(kind, type=["x"]),
        _envelope(kind, source=None),
        _envelope(kind, seq="one"),
    ]
    return envelope_fields + [_envelope(kind, data=data) for data in WRONG_DATA + WRONG_FIELDS[kind]]


def _sort(topic: str, payloads: list[bytes]) -> Batch:
    batch = classify([(topic, p) for p in payloads], received_at=NOW)
    assert not (batch.statuses or batch.states or batch.acks or batch.telemetry), "a hostile body was kept"
    assert all(row["dead_letter"] for row in batch.events), "a hostile event was stored as good"
    return batch


@pytest.mark.parametrize("name", sorted(TOPICS))
def test_garbage_oversize_and_wrong_types_are_each_rejected_and_counted(name: str) -> None:
    topic, kind = TOPICS[name]
    sent = {"garbage": garbage(), "oversize": oversize(), "wrong type": wrong_type(kind)}
    counts: Counter[str] = Counter()
    for label, payloads in sent.items():
        batch = _sort(topic, payloads)
        assert len(batch.rejected) == len(payloads), (label, [r.detail for r in batch.rejected])
        counts.update(r.reason for r in batch.rejected)
    print(f"{name}: {sum(counts.values())} rejected of {sum(map(len, sent.values()))}: {dict(counts)}")
    assert counts["size"] == len(sent["oversize"])


def test_every_subscribed_filter_is_covered() -> None:
    filters = {f.rsplit("/", 1)[-1] for f in subscriptions_for_cloud()}
    assert filters == {topic.rsplit("/", 1)[-1] for topic, _kind in TOPICS.values()}


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(name=st.sampled_from(sorted(TOPICS)), payload=st.binary(max_size=2048))
def test_random_bytes_never_raise_and_are_rejected(name: str, payload: bytes) -> None:
    batch = _sort(TOPICS[name][0], [payload])
    assert len(batch.rejected) == 1


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(name=st.sampled_from(sorted(TOPICS)), data=JSON)
def test_any_json_data_under_the_right_type_is_sorted_or_rejected_never_raises(name: str, data: Any) -> None:
    topic, kind = TOPICS[name]
    batch = classify([(topic, _envelope(kind, data=data))], received_at=NOW)
    kept = len(batch.statuses) + len(batch.states) + len(batch.acks) + len(batch.telemetry)
    assert kept + len(batch.rejected) == 1 or (name == "events" and len(batch.events) == 1)


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(payload=st.binary(max_size=1024) | st.sampled_from(garbage() + wrong_type("room.telemetry")))
def test_the_telemetry_workers_decoder_refuses_with_a_contract_error_only(payload: bytes) -> None:
    try:
        decode(TOPICS["telemetry"][0], payload)
    except ContractError as exc:
        assert exc.reason  # counted by the worker under this reason
