"""Sort a batch of inbound MQTT messages into what each table receives (no I/O)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mqtt.batch import BATCH_TYPE, BadItem, CleanBatch, is_batch, read_clean, unpack
from mqtt.codec import ContractError, Event, all_valid, decode_envelope, read_event, validate_data
from mqtt.envelope import MAX_PAYLOAD_BYTES, Envelope
from mqtt.messages import CommandAck, GatewayStatus, RoomState, Telemetry
from mqtt.topics import Kind, Topic, TopicError, parse_topic

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rejected:
    kind: str
    reason: str
    detail: str


@dataclass
class Batch:
    received_at: datetime
    events: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[tuple[Topic, Envelope, GatewayStatus]] = field(default_factory=list)
    states: list[tuple[Topic, Envelope, RoomState]] = field(default_factory=list)
    acks: list[tuple[Topic, CommandAck]] = field(default_factory=list)
    telemetry: list[tuple[Topic, Envelope, Telemetry]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    def confirmations(self) -> dict[tuple[str, str], list[str]]:
        """Event ids to confirm to each floor (stored and dead-lettered alike)."""
        out: dict[tuple[str, str], list[str]] = {}
        for row in self.events:
            out.setdefault((row["site"], row["floor"]), []).append(row["id"])
        return out


def classify(messages: list[tuple[str, bytes]], *, received_at: datetime) -> Batch:
    batch = Batch(received_at=received_at)
    singles = _clean_singles(messages, received_at)
    for n, (topic, payload) in enumerate(messages):
        row = singles.get(n)
        if row is not None:
            batch.events.append(row)
        else:
            _classify_one(batch, topic, payload)
    return batch


def _clean_singles(messages: list[tuple[str, bytes]], received_at: datetime) -> dict[int, dict[str, Any]]:
    """The rows of the single events (by their message's place) whose topic, envelope and data
    pass every check, the common case: each topic parsed once, each envelope in one call
    (``read_event``), the data in one call per event type (``all_valid``). The rows are those the
    message-by-message way makes. A message left out (another kind, a batch, anything failing a
    check, or every event of a type whose data fails for one of them) takes that way, which says
    what is wrong."""
    topics: dict[str, Topic | None] = {}
    read: list[tuple[int, Topic, Event]] = []
    by_type: dict[str, list[dict[str, Any]]] = {}
    for n, (topic, payload) in enumerate(messages):
        parsed = topics[topic] if topic in topics else topics.setdefault(topic, _events_topic(topic))
        if parsed is None or len(payload) > MAX_PAYLOAD_BYTES or _BATCH_MARK in payload:
            continue
        event = read_event(payload)
        if event is None or event.type == BATCH_TYPE:
            continue
        read.append((n, parsed, event))
        by_type.setdefault(event.type, []).append(event.data)
    valid = {type_ for type_, datas in by_type.items() if all_valid(Kind.EVENTS, type_, datas)}
    return {n: _single_row(topic, event, received_at) for n, topic, event in read if event.type in valid}


def _events_topic(topic: str) -> Topic | None:
    try:
        parsed = parse_topic(topic)
    except TopicError:
        return None
    return parsed if parsed.kind is Kind.EVENTS else None


def _single_row(topic: Topic, event: Event, received_at: datetime) -> dict[str, Any]:
    """``_event_row`` of a single event read by ``read_event`` (its time moved to UTC, as
    ``Envelope`` moves it)."""
    data = event.data
    room = data.get("room")
    credential = data.get("credential_id")
    return {
        "id": event.id, "site": topic.site, "floor": topic.floor,
        "room": room if isinstance(room, str) and len(room) <= 63 else None,
        "type": event.type, "ts": event.ts.astimezone(UTC), "source": event.source, "seq": event.seq,
        "credential_id": credential if isinstance(credential, str) and len(credential) <= 64 else None,
        "data": data, "received_at": received_at, "dead_letter": None,
    }


def _classify_one(batch: Batch, topic: str, payload: bytes) -> None:
    kind = _kind_of(topic)
    if kind == "events" and _BATCH_MARK in payload and _clean_batch(batch, topic, payload):
        return
    try:
        parsed, envelope = decode_envelope(topic, payload)
    except ContractError as exc:
        _reject(batch, kind, exc)
        return
    if parsed.kind is Kind.EVENTS and is_batch(envelope):
        for item in unpack(envelope):
            if isinstance(item, BadItem):
                _bad_item(batch, parsed, envelope, item)
            else:
                _classify_event(batch, parsed, item)
        return
    _classify_event(batch, parsed, envelope)


_BATCH_MARK = f'"{BATCH_TYPE}"'.encode()


def _clean_batch(batch: Batch, topic: str, payload: bytes) -> bool:
    """A batch of valid events (the common case) in a few calls: its envelope and items in one
    (``mqtt.batch.read_clean``), the data of its events in one per type (``all_valid``). The rows
    are those the item-by-item way makes; False, having added nothing, when anything fails a check
    (then that way takes the payload, and says which item fails which check)."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return False
    try:
        parsed = parse_topic(topic)
    except TopicError:
        return False
    if parsed.kind is not Kind.EVENTS:
        return False
    clean = read_clean(payload)
    if clean is None:
        return False
    by_type: dict[str, list[dict[str, Any]]] = {}
    for item in clean.items:
        by_type.setdefault(item.type, []).append(item.data)
    for type_, datas in by_type.items():
        if not all_valid(Kind.EVENTS, type_, datas):
            return False
    batch.events.extend(_clean_rows(parsed, clean, batch.received_at))
    return True


def _clean_rows(topic: Topic, clean: CleanBatch, received_at: datetime) -> list[dict[str, Any]]:
    """``_event_row`` of each item, as ``Envelope`` would hold it (its time in UTC)."""
    site, floor, source = topic.site, topic.floor, clean.source
    rows = []
    for item in clean.items:
        data = item.data
        room = data.get("room")
        credential = data.get("credential_id")
        rows.append({
            "id": item.id, "site": site, "floor": floor,
            "room": room if isinstance(room, str) and len(room) <= 63 else None,
            "type": item.type, "ts": item.ts.astimezone(UTC), "source": source, "seq": item.seq,
            "credential_id": credential if isinstance(credential, str) and len(credential) <= 64 else None,
            "data": data, "received_at": received_at, "dead_letter": None,
        })
    return rows


def _classify_event(batch: Batch, parsed: Topic, envelope: Envelope) -> None:
    """An envelope whose topic and envelope checks passed: validate its data and route it."""
    kind = parsed.kind.value
    try:
        data = validate_data(parsed, envelope)
    except ContractError as exc:
        if parsed.kind is Kind.EVENTS:  # readable id: keep it as a dead letter and confirm it
            batch.events.append(_event_row(parsed, envelope, batch.received_at, dead=exc.detail))
        _reject(batch, kind, exc)
        return
    if data is None:
        if parsed.kind is Kind.EVENTS:
            batch.events.append(_event_row(parsed, envelope, batch.received_at,
                                           dead=f"unknown event type {envelope.type!r}"))
        _reject(batch, kind, ContractError("type", f"unknown {parsed.kind} type {envelope.type!r}"))
        return
    _route(batch, parsed, envelope, data)


def _route(batch: Batch, topic: Topic, envelope: Envelope, data: object) -> None:
    if topic.kind is Kind.EVENTS:
        batch.events.append(_event_row(topic, envelope, batch.received_at))
    elif isinstance(data, GatewayStatus):
        batch.statuses.append((topic, envelope, data))
    elif isinstance(data, RoomState):
        if data.room != topic.room:
            _reject(batch, topic.kind.value, ContractError("data", "room in payload differs from topic"))
            return
        batch.states.append((topic, envelope, data))
    elif isinstance(data, CommandAck):
        batch.acks.append((topic, data))
    elif isinstance(data, Telemetry):
        batch.telemetry.append((topic, envelope, data))


def _event_row(topic: Topic, envelope: Envelope, received_at: datetime,
               dead: str | None = None) -> dict[str, Any]:
    room = envelope.data.get("room")
    credential = envelope.data.get("credential_id")
    return {
        "id": envelope.id, "site": topic.site, "floor": topic.floor,
        "room": room if isinstance(room, str) and len(room) <= 63 else None,
        "type": envelope.type, "ts": envelope.ts, "source": envelope.source, "seq": envelope.seq,
        "credential_id": credential if isinstance(credential, str) and len(credential) <= 64 else None,
        "data": envelope.data, "received_at": received_at, "dead_letter": dead,
    }


# The type of the dead letter an unreadable item of a batch leaves: its ts is the batch's, which a
# resend of the batch changes (the store finds such an id again by site and id alone).
BAD_ITEM_TYPE = "events.batch"


def _bad_item(batch: Batch, topic: Topic, outer: Envelope, item: BadItem) -> None:
    """An item of a batch that is no event: dead-lettered (and so confirmed) when it has an id."""
    if item.id is not None:
        batch.events.append({
            "id": item.id, "site": topic.site, "floor": topic.floor, "room": None, "type": BAD_ITEM_TYPE,
            "ts": outer.ts, "source": outer.source, "seq": None, "credential_id": None, "data": {},
            "received_at": batch.received_at, "dead_letter": f"{item.reason}: {item.detail}"[:500],
        })
    _reject(batch, "events", ContractError(item.reason, item.detail))


KINDS = frozenset(k.value for k in Kind)


def _kind_of(topic: str) -> str:
    last = topic.rsplit("/", 1)[-1]
    return last if last in KINDS else "other"


def _reject(batch: Batch, kind: str, exc: ContractError) -> None:
    log.warning("rejected MQTT payload (%s/%s): %s", kind, exc.reason, exc.detail)
    batch.rejected.append(Rejected(kind, exc.reason, exc.detail))
