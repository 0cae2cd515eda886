"""Classifying inbound messages: a batch of events is stored event by event, its bad items
dead-lettered (and so confirmed) or counted; single events still arrive as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
