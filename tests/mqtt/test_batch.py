"""``events.batch``: the golden batch round-trips through the edge's encoder and the cloud's
unpacking; every bad item spoils only itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.event_payload import events_payload
from edge.outbox import OutboxEntry
from mqtt.batch import MAX_EVENTS, BadItem, Item, batch_json, is_batch, item_json, read_clean, unpack
from mqtt.codec import decode, decode_envelope, validate_data
from mqtt.envelope import MAX_PAYLOAD_BYTES, Envelope
from mqtt.topics import parse_topic

pytestmark = pytest.mark.unit
GOLDEN = Path(__file__).parent / "golden" / "batch" / "events-events.batch.json"
TOPIC = "posada/v1/hotel/f1/events"


def _golden() -> dict[str, object]:
    return json.loads(GOLDEN.read_text())  # type: ignore[no-any-return]


def _entries(raw: dict[str, object]) -> list[OutboxEntry]:
    items = raw["data"]["events"]  # type: ignore[index]
    return [
        OutboxEntry(
            seq=i["seq"],
            id=i["id"],
            type=i["type"],
            room=i["data"].get("room"),
            data=i["data"],
            created=datetime.fromisoformat(i["ts"]),
            data_json=json.dumps(i["data"], separators=(",", ":")),
        )
        for i in items
    ]


def test_the_golden_batch_unpacks_into_events_of_the_contract() -> None:
    _, envelope = decode_envelope(TOPIC, GOLDEN.read_bytes().strip())
    assert is_batch(envelope)
    events = unpack(envelope)
    assert [e.id for e in events if isinstance(e, Envelope)] == [
        "01JDQ7Z3K8M2YB7V4T9G6QXH1A",
        "01JDQ7Z3K8M2YB7V4T9G6QXH1C",
    ]
    for event in events:
        assert isinstance(event, Envelope) and event.source == "gw.hotel.f1" and event.v == 1
        assert validate_data(parse_topic(TOPIC), event) is not None


def test_the_edge_encodes_the_golden_batch_byte_for_byte() -> None:
    raw = _golden()
    payload = events_payload(_entries(raw), source="gw.hotel.f1", batch_id=str(raw["id"]))
    again = json.loads(payload)
    assert again["data"] == raw["data"] and again["id"] == raw["id"] and again["type"] == "events.batch"


def test_each_event_of_a_batch_equals_the_single_event_the_edge_would_send() -> None:
    raw = _golden()
    entries = _entries(raw)
    batched = unpack(decode_envelope(TOPIC, events_payload(entries, source="gw.hotel.f1"))[1])
    singles = [decode(TOPIC, events_payload([e], source="gw.hotel.f1")).envelope for e in entries]
    assert batched == singles


def _batch_of(items: list[object]) -> Envelope:
    return Envelope(type="events.batch", source="gw.hotel.f1", data={"events": items})


def test_a_bad_item_spoils_only_itself_and_keeps_its_id_when_it_has_one() -> None:
    good = json.loads(
        item_json(
            id="E1",
            type="door.opened",
            ts=datetime(2026, 1, 1, tzinfo=UTC),
            seq=1,
            data_json='{"room":"101"}',
        )
    )
    out = unpack(
        _batch_of(
            [
                good,
                {"id": "E2", "type": "Not A Type"},
                {"type": "door.opened"},
                [1],
                {"id": "E3", "type": "events.batch", "data": {"events": []}},
                {"id": "bad id!", "type": "door.opened"},
            ]
        )
    )
    assert isinstance(out[0], Envelope) and out[0].id == "E1"
    bad = [(o.id, o.reason) for o in out[1:] if isinstance(o, BadItem)]
    assert bad == [
        ("E2", "envelope"),
        (None, "envelope"),
        (None, "envelope"),
        ("E3", "envelope"),
        (None, "envelope"),
    ]


@pytest.mark.parametrize(
    "data", [{}, {"events": "x"}, {"events": {"a": 1}}, {"events": [{}] * (MAX_EVENTS + 1)}]
)
def test_a_batch_without_a_list_of_events_within_bounds_is_one_bad_item(data: dict[str, object]) -> None:
    out = unpack(Envelope(type="events.batch", source="s", data=data))
    assert len(out) == 1 and isinstance(out[0], BadItem) and out[0].id is None


def test_a_batch_over_the_payload_limit_or_empty_is_refused_by_the_encoder() -> None:
    with pytest.raises(ValueError):
        batch_json([], source="s")
    big = item_json(
        id="E",
        type="tamper",
        ts=datetime(2026, 1, 1, tzinfo=UTC),
        seq=1,
        data_json=json.dumps({"detail": "x" * 1000}),
    )
    with pytest.raises(ValueError):
        batch_json([big] * (MAX_PAYLOAD_BYTES // 1000 + 1), source="s")


@given(st.lists(st.tuples(st.integers(0, 2**40), st.text(max_size=40)), min_size=1, max_size=30))
def test_items_round_trip_whatever_their_data(rows: list[tuple[int, str]]) -> None:
    at = datetime(2026, 12, 3, 9, 0, 0, 123000, tzinfo=UTC)
    items = [
        item_json(
            id=f"E{n}",
            type="tamper",
            ts=at,
            seq=seq,
            data_json=json.dumps({"detail": text}, ensure_ascii=False),
        )
        for n, (seq, text) in enumerate(rows)
    ]
    out = unpack(decode_envelope(TOPIC, batch_json(items, source="gw.hotel.f1"))[1])
    assert [(e.seq, e.data["detail"], e.ts) for e in out if isinstance(e, Envelope)] == [
        (seq, text, at) for seq, text in rows
    ]


def test_an_item_read_in_one_call_is_checked_as_an_envelope_is() -> None:
    """``read_clean``'s item model holds ``Envelope``'s constraints, field by field (its id has no
    default: an item without one goes the item-by-item way, which dead-letters nothing for it)."""
    fields = Item.__pydantic_fields__
    for name, field in fields.items():
        theirs = Envelope.model_fields[name]
        assert (field.annotation, repr(field.metadata)) == (theirs.annotation, repr(theirs.metadata)), name
        if name != "id":
            assert (field.default, field.default_factory) == (theirs.default, theirs.default_factory), name
    assert fields["id"].is_required() and set(fields) == set(Envelope.model_fields) - {"v", "source"}
    assert Item.__pydantic_config__["extra"] == Envelope.model_config["extra"] == "ignore"


def test_the_golden_batch_reads_clean_and_a_batch_with_a_bad_item_does_not() -> None:
    payload = GOLDEN.read_bytes().strip()
    clean = read_clean(payload)
    assert clean is not None and clean.source == "gw.hotel.f1"
    assert [(i.id, i.seq) for i in clean.items] == [
        ("01JDQ7Z3K8M2YB7V4T9G6QXH1A", 42),
        ("01JDQ7Z3K8M2YB7V4T9G6QXH1C", 43),
    ]
    raw = _golden()
    raw["data"]["events"].append({"id": "E3", "type": "events.batch", "data": {"events": []}})  # type: ignore[index]
    assert read_clean(json.dumps(raw).encode()) is None
    assert read_clean(GOLDEN.read_bytes().replace(b'"v":1', b'"v":2')) is None
