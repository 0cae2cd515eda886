"""Telemetry messages for tests, built and decoded through the contract like real ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cloud.telemetry.points import TelemetryItem
from mqtt.codec import decode
from mqtt.envelope import Envelope
from mqtt.messages import Telemetry


def payload(room: str, *, at: datetime, readings: dict[str, Any] | None = None,
            samples: list[tuple[datetime, dict[str, Any]]] | None = None,
            source: str = "gw") -> bytes:
    data: dict[str, Any] = {"room": room}
    if readings:
        data["readings"] = readings
    if samples:
        data["samples"] = [{"at": t.isoformat(), "readings": r} for t, r in samples]
    return Envelope(type="room.telemetry", source=source, ts=at, data=data).to_json()


def item(room: str, *, at: datetime, site: str = "hq", floor: str = "f1",
         topic_room: str | None = None, **kw: Any) -> TelemetryItem:
    topic = f"posada/v1/{site}/{floor}/rooms/{topic_room or room}/telemetry"
    message = decode(topic, payload(room, at=at, **kw))
    assert isinstance(message.data, Telemetry)
    return (message.topic, message.envelope, message.data)
