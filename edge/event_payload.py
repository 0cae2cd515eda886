"""What the gateway publishes on its ``events`` topic for a run of outbox entries.

One event goes out as itself, the bytes every gateway has always sent; several go out as one
``events.batch`` (``mqtt.batch``). The payload is spliced from the text the outbox stored (the
data's JSON, the time as RFC 3339): no models, no parse, no ``json.dumps`` per event (a floor back
from an outage relays thousands a second). The bytes are those ``json.dumps`` of the envelope
would write (``tests/edge/test_event_payload.py`` compares them).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from edge.outbox import OutboxEntry, OutboxRow, Outgoing
from mqtt.batch import batch_json
from mqtt.codec import event_json
from mqtt.envelope import json_str, rfc3339


def events_payload(entries: Sequence[Outgoing], *, source: str, batch_id: str | None = None) -> bytes:
    if len(entries) == 1:
        entry = entries[0]
        return event_json(id=entry.id, type=entry.type, ts=_stamp(entry), source=source, seq=entry.seq,
                          data_json=_data_json(entry))
    items = [
        f'{{"id":{json_str(e.id)},"type":{json_str(e.type)},"ts":{json_str(e.created_text)},'
        f'"seq":{int(e.seq)},"data":{e.data_json}}}'
        if type(e) is OutboxRow else _item(e)
        for e in entries
    ]
    return batch_json(items, source=source, id=batch_id)


def _item(entry: Outgoing) -> str:
    return (f'{{"id":{json_str(entry.id)},"type":{json_str(entry.type)},"ts":{json_str(_stamp(entry))},'
            f'"seq":{int(entry.seq)},"data":{_data_json(entry)}}}')


def _stamp(entry: Outgoing) -> str:
    if isinstance(entry, OutboxRow):
        return entry.created_text
    return entry.created_text or rfc3339(entry.created)


def _data_json(entry: Outgoing) -> str:
    if entry.data_json is not None:
        return entry.data_json
    assert isinstance(entry, OutboxEntry)
    return json.dumps(entry.data, separators=(",", ":"), ensure_ascii=False)
