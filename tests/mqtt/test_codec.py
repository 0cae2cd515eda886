"""The contract's codec: golden payloads round-trip; every kind of bad input has a reason."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mqtt.codec import ContractError, Event, decode, decode_envelope, encode, event_json, read_event
from mqtt.envelope import MAX_PAYLOAD_BYTES, Envelope
from mqtt.messages import Tamper
from mqtt.topics import Kind, Topic

GOLDEN = Path(__file__).parent / "golden"
TOPIC_OF = {
    "events": "posada/v1/hotel/f1/events",
    "status": "posada/v1/hotel/f1/status",
    "state": "posada/v1/hotel/f1/rooms/{room}/state",
    "telemetry": "posada/v1/hotel/f1/rooms/{room}/telemetry",
    "cmd": "posada/v1/hotel/f1/cmd",
    "ack": "posada/v1/hotel/f1/ack",
}


def golden_files() -> list[Path]:
    return sorted(GOLDEN.glob("*.json"))


@pytest.mark.parametrize("path", golden_files(), ids=lambda p: p.stem)
def test_golden_payload_decodes_and_round_trips(path: Path) -> None:
    raw = json.loads(path.read_text())
    kind = path.stem.split("-", 1)[0]
    topic = TOPIC_OF[kind].format(room=raw["data"].get("room", "101"))
    message = decode(topic, path.read_bytes().strip())
    assert message.known, f"{raw['type']} is not a model of the contract"
    assert message.envelope.type == raw["type"]
    again = decode(topic, message.envelope.to_json())
    assert again.envelope == message.envelope
    assert again.data == message.data


def test_unknown_keys_are_ignored_so_newer_senders_stay_readable() -> None:
    raw = json.loads((GOLDEN / "events-access.granted.json").read_text())
    raw["future_field"] = {"x": 1}
    raw["data"]["new_detail"] = "y"
    message = decode("posada/v1/hotel/f1/events", json.dumps(raw).encode())
    assert message.known and message.data is not None


def test_unknown_event_type_decodes_without_data() -> None:
    raw = json.loads((GOLDEN / "events-access.granted.json").read_text()) | {"type": "sauna.overheated"}
    message = decode("posada/v1/hotel/f1/events", json.dumps(raw).encode())
    assert not message.known


@pytest.mark.parametrize(("topic", "payload", "reason"), [
    ("posada/v2/hotel/f1/events", b"{}", "topic"),
    ("posada/v1/Hotel/f1/events", b"{}", "topic"),
    ("posada/v1/hotel/f1/rooms/101/events", b"{}", "topic"),
    ("posada/v1/hotel/f1/state", b"{}", "topic"),
    ("posada/v1/hotel/f1/events", b"\xff\xfe", "json"),
    ("posada/v1/hotel/f1/events", b"not json", "json"),
    ("posada/v1/hotel/f1/events", b"[1]", "envelope"),
    ("posada/v1/hotel/f1/events", b'{"v":2,"type":"x"}', "version"),
    ("posada/v1/hotel/f1/events", b'{"v":"1","type":"x"}', "version"),
    ("posada/v1/hotel/f1/events", b'{"v":1,"type":"access.granted","source":"s","ts":"2026-01-01T00:00:00"}',
     "envelope"),
    ("posada/v1/hotel/f1/events",
     b'{"v":1,"type":"access.granted","source":"s","data":{"granted":"perhaps"}}', "data"),
    ("posada/v1/hotel/f1/events", b" " * (MAX_PAYLOAD_BYTES + 1), "size"),
])
def test_bad_input_is_refused_with_its_reason(topic: str, payload: bytes, reason: str) -> None:
    with pytest.raises(ContractError) as info:
        decode(topic, payload)
    assert info.value.reason == reason


@settings(max_examples=300)
@given(st.binary(max_size=512))
def test_random_bytes_never_escape_as_anything_but_a_contract_error(payload: bytes) -> None:
    with contextlib.suppress(ContractError):
        decode("posada/v1/hotel/f1/events", payload)


@settings(max_examples=300)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                  max_size=4), max_leaves=20))
@pytest.mark.slow
def test_random_json_never_escapes_as_anything_but_a_contract_error(value: object) -> None:
    for kind in Kind:
        topic = str(Topic(kind, "hotel", "f1", "101" if kind in (Kind.ROOM_STATE, Kind.TELEMETRY) else None))
        with contextlib.suppress(ContractError):
            decode(topic, json.dumps(value).encode())


@given(st.text(max_size=80))
def test_random_topics_are_refused_or_parse_back_to_themselves(topic: str) -> None:
    from mqtt.topics import TopicError, parse_topic

    try:
        parsed = parse_topic(topic)
    except TopicError:
        return
    assert str(parsed) == topic


def test_envelope_timestamps_are_utc_rfc3339() -> None:
    env = Envelope.model_validate({"type": "x", "source": "s", "ts": "2026-03-29T03:30:00+02:00"})
    assert env.to_json().decode().count('"ts":"2026-03-29T01:30:00.000Z"') == 1


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=20), st.integers(), st.booleans()),
                       max_size=5), st.integers(min_value=0, max_value=2**40))
def test_a_relayed_event_has_the_bytes_the_envelope_would_give(data: dict[str, object], seq: int) -> None:
    ts = datetime(2026, 12, 2, 19, 0, 1, 234000, tzinfo=UTC)  # the wire keeps milliseconds
    tamper = Tamper(room="101", detail="x")
    built = encode(type="tamper", source="gw.hotel.f1", data=tamper, seq=seq, id="01ABC")
    built = built.model_copy(update={"ts": ts, "data": data})
    relayed = event_json(id="01ABC", type="tamper", ts=ts, source="gw.hotel.f1", seq=seq,
                         data_json=json.dumps(data, separators=(",", ":")))
    assert json.loads(relayed) == json.loads(built.to_json())
    _, envelope = decode_envelope("posada/v1/hotel/f1/events", relayed)
    assert envelope.id == "01ABC" and envelope.seq == seq and envelope.data == data and envelope.ts == ts


@pytest.mark.parametrize("data", [
    {"room": "101", "seconds": "5"},  # a number sent as text
    {"room": "101", "seconds": 5.5},  # a fraction where a whole number is meant
    {"room": "101", "seconds": True},  # a flag where a number is meant
    {"room": 101},  # a number where text is meant
])
def test_a_command_field_of_the_wrong_json_type_is_refused_not_coerced(data: dict[str, object]) -> None:
    def payload(data: dict[str, object]) -> bytes:
        body = {"v": 1, "id": "01J0000000000000000000000A", "type": "door.unlock", "source": "cloud",
                "ts": "2026-12-01T10:00:00Z", "data": data}
        return json.dumps(body).encode()

    with pytest.raises(ContractError) as info:
        decode("posada/v1/hotel/f1/cmd", payload(data))
    assert info.value.reason == "data"
    ok = decode("posada/v1/hotel/f1/cmd", payload({"room": "101", "seconds": 5}))
    assert ok.data is not None and ok.data.model_dump()["seconds"] == 5


def test_a_single_event_read_in_one_call_is_checked_as_an_envelope_is() -> None:
    """``read_event``'s model holds ``Envelope``'s constraints, field by field (its id has no
    default and its ``v`` defaults to 0, no version: a payload without either is left to
    ``decode_envelope``)."""
    fields = Event.__pydantic_fields__
    assert set(fields) == set(Envelope.model_fields)
    for name, field in fields.items():
        theirs = Envelope.model_fields[name]
        assert (field.annotation, repr(field.metadata)) == (theirs.annotation, repr(theirs.metadata)), name
        if name not in ("id", "v"):
            assert (field.default, field.default_factory) == (theirs.default, theirs.default_factory), name
    assert fields["id"].is_required() and fields["v"].default == 0
    assert Event.__pydantic_config__["extra"] == Envelope.model_config["extra"] == "ignore"


def test_read_event_takes_the_golden_events_and_leaves_the_rest_to_decode_envelope() -> None:
    for path in sorted(GOLDEN.glob("events-*.json")):
        payload = path.read_bytes().strip()
        event, (_, envelope) = read_event(payload), decode_envelope("posada/v1/hotel/f1/events", payload)
        assert event is not None and (event.id, event.type, event.ts, event.seq, event.data) == (
            envelope.id, envelope.type, envelope.ts, envelope.seq, envelope.data)
    for payload in (b'{"id":"A1","type":"door.ajar","source":"s"}',
                    b'{"v":2,"id":"A1","type":"door.ajar","source":"s"}',
                    b'{"v":1,"type":"door.ajar","source":"s"}', b"[]", b"{", b""):
        assert read_event(payload) is None
