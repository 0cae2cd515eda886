"""What the gateway publishes on its ``events`` topic for a run of outbox entries.

One event goes out as itself, the bytes every gateway has always sent; several go out as one
``events.batch`` (``mqtt.batch``), each item built from the JSON and the time the outbox stored,
without rebuilding the models nor formatting the time again (a floor back from an outage relays
thousands a second).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from edge.outbox import OutboxEntry
from mqtt.batch import batch_json, item_json
from mqtt.codec import event_json


def events_payload(entries: Sequence[OutboxEntry], *, source: str, batch_id: str | None = None) -> bytes:
    if len(entries) == 1:
        entry = entries[0]
        return event_json(
            id=entry.id,
            type=entry.type,
            ts=entry.created_text or entry.created,
            source=source,
            seq=entry.seq,
            data_json=_data_json(entry),
        )
    items = [
        item_json(id=e.id, type=e.type, ts=e.created_text or e.created, seq=e.seq, data_json=_data_json(e))
        for e in entries
    ]
    return batch_json(items, source=source, id=batch_id)


def _data_json(entry: OutboxEntry) -> str:
    if entry.data_json is not None:
        return entry.data_json
    return json.dumps(entry.data, separators=(",", ":"), ensure_ascii=False)
