"""Several events in one MQTT message (``events.batch``), so neither end pays a message's cost per event.

On a floor's ``events`` topic, beside single events, a gateway may publish::

    {"v":1,"id":BATCH_ID,"type":"events.batch","ts":...,"source":"gw.hotel.f1",
     "data":{"events":[{"id":...,"type":...,"ts":...,"seq":...,"data":{...}}, ...]}}

Each item is an event envelope without ``v`` and ``source``, which it takes from the batch. The
cloud stores and confirms each event by its own id (``events.stored``), as for single events; the
batch's id is only the message's. A batch is one payload, so it stays under ``MAX_PAYLOAD_BYTES``.
An item that breaks the contract spoils only itself: it comes back as ``BadItem`` (with its id
when one can be read, so the cloud can dead-letter and confirm it), the others as envelopes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from pydantic.dataclasses import dataclass as pydantic_dataclass

from mqtt.envelope import MAX_PAYLOAD_BYTES, SCHEMA_VERSION, Envelope, json_str, new_id, rfc3339, utcnow

BATCH_TYPE = "events.batch"
MAX_EVENTS = 1000  # items per batch; a batch's bytes are bounded by MAX_PAYLOAD_BYTES as well
ITEM_OVERHEAD = 120  # bytes of an item besides its id, type and data: keys, ts, seq, punctuation
HEAD_ROOM = 1024  # bytes kept free for the batch's own envelope (its source is at most 128)
ID_PATTERN = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class BadItem:
    """An item of a batch that is not a valid event: why, and its id when it has a usable one."""

    id: str | None
    reason: str
    detail: str


@pydantic_dataclass(frozen=True, slots=True, config=ConfigDict(extra="ignore"))
class Item:
    """An item of a batch as ``Envelope`` checks it, without ``v`` and ``source`` (the batch's).
    Its id is required here: an item without one takes ``unpack``'s way, which says so. (A
    dataclass: pydantic-core makes these in about half the time of a model's instances.)"""

    # the constraints of ``Envelope``'s fields (a test holds them equal)
    id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")
    type: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_.-]*$")
    ts: AwareDatetime = Field(default_factory=utcnow)  # in its own offset: ``Envelope`` moves it to UTC
    seq: int | None = Field(default=None, ge=0)
    data: dict[str, Any] = Field(default_factory=dict)


class _Events(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    events: list[Item] = Field(min_length=1, max_length=MAX_EVENTS)


class _BatchEnvelope(Envelope):
    data: _Events  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class CleanBatch:
    """A batch whose envelope and items all pass ``Envelope``'s checks, read in one call."""

    id: str
    ts: datetime
    source: str
    items: list[Item]


def read_clean(payload: bytes) -> CleanBatch | None:
    """The common case in one pydantic-core call over the payload's bytes: an ``events.batch``
    (schema version given and current) whose every item is an event with a valid id, ``Envelope``'s
    checks passed. None for anything else (not a batch, a bad envelope, a bad item, a batch inside
    a batch): then ``decode_envelope`` and ``unpack`` take it, and say what is wrong with which item.
    The caller checks the topic and the payload's size first, as ``decode_envelope`` does."""
    try:
        batch = _BatchEnvelope.model_validate_json(payload)
    except ValidationError:
        return None
    if batch.type != BATCH_TYPE or batch.v != SCHEMA_VERSION or "v" not in batch.model_fields_set:
        return None
    items = batch.data.events
    for item in items:
        if item.type == BATCH_TYPE:
            return None
    return CleanBatch(batch.id, batch.ts, batch.source, items)


def is_batch(envelope: Envelope) -> bool:
    return envelope.type == BATCH_TYPE


def item_json(*, id: str, type: str, ts: datetime | str, seq: int, data_json: str) -> str:
    """One event of a batch, its data already serialised (as the gateway's outbox keeps it)."""
    stamp = ts if isinstance(ts, str) else rfc3339(ts)
    return (f'{{"id":{json_str(id)},"type":{json_str(type)},"ts":{json_str(stamp)},"seq":{int(seq)},'
            f'"data":{data_json}}}')


def item_size(*, id: str, type: str, data_json: str) -> int:
    """Bytes an item takes in a batch, at most (ids and types are ASCII by the contract)."""
    data_bytes = len(data_json) if data_json.isascii() else len(data_json.encode())
    return len(id) + len(type) + data_bytes + ITEM_OVERHEAD


def batch_json(
    items: Sequence[str], *, source: str, id: str | None = None, ts: datetime | None = None
) -> bytes:
    """The batch's payload around items made by ``item_json``."""
    if not 1 <= len(items) <= MAX_EVENTS:
        raise ValueError(f"a batch holds 1 to {MAX_EVENTS} events, not {len(items)}")
    head = json.dumps(
        {
            "v": SCHEMA_VERSION,
            "id": id or new_id(),
            "type": BATCH_TYPE,
            "ts": rfc3339(ts or utcnow()),
            "source": source,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )
    payload = f'{head[:-1]},"data":{{"events":[{",".join(items)}]}}}}'.encode()
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"a batch of {len(payload)} bytes is over {MAX_PAYLOAD_BYTES}")
    return payload


def unpack(batch: Envelope) -> list[Envelope | BadItem]:
    """The events of a batch envelope, in order; an item that is not an event is a ``BadItem``."""
    items = batch.data.get("events")
    if not isinstance(items, list):
        return [BadItem(None, "envelope", "events.batch without a list of events")]
    if len(items) > MAX_EVENTS:
        return [BadItem(None, "size", f"{len(items)} events in one batch > {MAX_EVENTS}")]
    return [_item(batch, item) for item in items]


def _item(batch: Envelope, item: Any) -> Envelope | BadItem:
    if not isinstance(item, dict):
        return BadItem(None, "envelope", f"a batch item is a JSON {type(item).__name__}, not an object")
    raw_id = item.get("id")
    usable_id = raw_id if isinstance(raw_id, str) and ID_PATTERN.fullmatch(raw_id) else None
    if usable_id is None:
        return BadItem(None, "envelope", "a batch item without a valid id")
    if item.get("type") == BATCH_TYPE:
        return BadItem(usable_id, "envelope", "a batch inside a batch")
    try:
        return Envelope.model_validate({**item, "v": SCHEMA_VERSION, "source": batch.source})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return BadItem(usable_id, "envelope", f"{where or 'item'}: {first.get('msg', 'invalid')}"[:200])
