"""Decode and validate inbound payloads; every failure has a reason code for counting."""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass as pydantic_dataclass

from mqtt.envelope import MAX_PAYLOAD_BYTES, SCHEMA_VERSION, Envelope, json_str, rfc3339, utcnow
from mqtt.messages import MODELS_BY_KIND, Data
from mqtt.topics import Kind, Topic, TopicError, parse_topic


class ContractError(ValueError):
    """A payload or topic that breaks the contract. ``reason`` is a short counter key."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Message:
    topic: Topic
    envelope: Envelope
    data: Data | None  # None when the type is unknown to this version (see ``known``)

    @property
    def known(self) -> bool:
        return self.data is not None


def decode(topic: str, payload: bytes, *, max_bytes: int = MAX_PAYLOAD_BYTES) -> Message:
    """Validate topic, size, JSON, version, envelope and data. Unknown types decode with data=None."""
    parsed_topic, envelope = decode_envelope(topic, payload, max_bytes=max_bytes)
    return Message(parsed_topic, envelope, validate_data(parsed_topic, envelope))


def decode_envelope(topic: str, payload: bytes, *,
                    max_bytes: int = MAX_PAYLOAD_BYTES) -> tuple[Topic, Envelope]:
    """Topic, size, JSON, version and envelope checks, without the type's data model."""
    try:
        parsed_topic = parse_topic(topic)
    except TopicError as exc:
        raise ContractError("topic", str(exc)) from None
    if len(payload) > max_bytes:
        raise ContractError("size", f"{len(payload)} bytes > {max_bytes}")
    try:  # the common case in one pass (pydantic parses the JSON itself)
        envelope = Envelope.model_validate_json(payload)
        if envelope.v == SCHEMA_VERSION and "v" in envelope.model_fields_set:
            return parsed_topic, envelope
    except ValidationError:
        pass  # the checks below say precisely what is wrong
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContractError("json", str(exc)[:200]) from None
    except RecursionError:  # a few KiB of "[[[[..." nest deeper than the parser goes
        raise ContractError("json", "JSON nested too deeply") from None
    if not isinstance(raw, dict):
        raise ContractError("envelope", f"payload is a JSON {type(raw).__name__}, not an object")
    version = raw.get("v")
    if version != SCHEMA_VERSION:
        raise ContractError("version", f"unsupported schema version {str(version)[:20]!r}")
    try:
        return parsed_topic, Envelope.model_validate(raw)
    except ValidationError as exc:
        raise ContractError("envelope", _brief(exc)) from None


@pydantic_dataclass(frozen=True, slots=True, config=ConfigDict(extra="ignore"))
class Event:
    """A single event's envelope as ``Envelope`` checks it, read in about half its time (a
    pydantic dataclass, no model instance). Its id is required and its ``v`` defaults to 0, never
    a version, so a payload without either is left to ``decode_envelope``; ``ts`` keeps its own
    offset (``Envelope`` moves it to UTC)."""

    # the constraints of ``Envelope``'s fields (a test holds them equal)
    id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")
    type: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_.-]*$")
    source: str = Field(min_length=1, max_length=128)
    v: int = 0
    ts: AwareDatetime = Field(default_factory=utcnow)
    seq: int | None = Field(default=None, ge=0)
    data: dict[str, Any] = Field(default_factory=dict)


_EVENT = TypeAdapter(Event)


def read_event(payload: bytes) -> Event | None:
    """The common case of ``decode_envelope`` in one pydantic-core call over the payload's bytes:
    an envelope of the current version with an id. None for anything else, which
    ``decode_envelope`` then reads (and says what is wrong). The caller checks the topic and the
    payload's size first, as ``decode_envelope`` does."""
    try:
        event = _EVENT.validate_json(payload)
    except ValidationError:
        return None
    return event if event.v == SCHEMA_VERSION else None


def validate_data(topic: Topic, envelope: Envelope) -> Data | None:
    """The type's data model, or None for a type this version does not know."""
    model = MODELS_BY_KIND[topic.kind].get(envelope.type)
    if model is None:
        return None
    try:
        return model.model_validate(envelope.data)
    except ValidationError as exc:
        raise ContractError("data", f"{envelope.type}: {_brief(exc)}") from None


def all_valid(kind: Kind, type: str, datas: list[dict[str, object]]) -> bool:
    """Whether every one of ``datas`` is valid data of a ``type`` this version knows, checked in one
    call (``validate_data``'s check, for a run of events of one type). False says only that one
    is not: ``validate_data`` then tells which and why."""
    model = MODELS_BY_KIND[kind].get(type)
    if model is None:
        return False
    adapter = _LISTS.get(model)
    if adapter is None:
        adapter = _LISTS[model] = TypeAdapter(list[model])  # type: ignore[valid-type]
    try:
        adapter.validate_python(datas)
    except ValidationError:
        return False
    return True


_LISTS: dict[type[Data], TypeAdapter[list[Data]]] = {}  # by model: a type may be registered late


def encode(*, type: str, source: str, data: Data, seq: int | None = None,
           id: str | None = None) -> Envelope:
    """Build an envelope around a data model."""
    fields: dict[str, object] = {
        "type": type, "source": source, "seq": seq,
        "data": data.model_dump(mode="json", exclude_none=True),
    }
    if id is not None:
        fields["id"] = id
    return Envelope.model_validate(fields)


def event_json(*, id: str, type: str, ts: datetime | str, source: str, seq: int, data_json: str) -> bytes:
    """The payload of an event recorded earlier, its data already validated and serialised:
    the same bytes as ``encode(...).to_json()`` without building the models again (a gateway
    relays thousands of these a second after an outage). ``ts`` as a string is RFC 3339 already."""
    stamp = ts if isinstance(ts, str) else rfc3339(ts)
    return (f'{{"v":{SCHEMA_VERSION},"id":{json_str(id)},"type":{json_str(type)},"ts":{json_str(stamp)},'
            f'"source":{json_str(source)},"seq":{int(seq)},"data":{data_json}}}').encode()


def _brief(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where or 'payload'}: {first.get('msg', 'invalid')}"[:200]


class Rejections:
    """Thread-safe counter of rejected messages by reason."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self._counts[reason] += n

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())
