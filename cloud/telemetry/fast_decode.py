"""Telemetry payloads straight to points: the contract's checks in plain code, without pydantic.

A telemetry worker sees tens of thousands of messages a second, and building an ``Envelope`` and
a ``Telemetry`` model per message cost more than everything else it does. This decoder applies
the same rules (``mqtt.envelope.Envelope``, ``mqtt.messages.Telemetry``: schema version, id,
type, an aware RFC 3339 time, source, the room's slug and the topic's room, at most 64 readings
of numbers or booleans, at most 1,000 samples) and makes ``TelemetryPoint``\\ s directly; a
test holds it to the models' verdicts. Every refusal is counted with a reason and never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson

from cloud.telemetry.points import TelemetryPoint, split_readings
from mqtt.codec import Rejections
from mqtt.envelope import MAX_PAYLOAD_BYTES, SCHEMA_VERSION, utcnow
from mqtt.topics import Kind, Topic, TopicError, parse_topic

ID = re.compile(r"[0-9A-Za-z_-]{1,64}")
ROOM = re.compile(r"[a-z0-9-]{1,63}")
MAX_READINGS = 64
MAX_SAMPLES = 1000
TOPIC_CACHE = 100_000  # parsed topics kept (one per room of the chain)


class Refused(ValueError):
    """A payload the contract refuses; ``reason`` is the counter key (as ``ContractError``'s)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TelemetryDecoder:
    """Decodes batches of (topic, payload); keeps parsed topics, since rooms repeat."""

    def __init__(self, rejections: Rejections) -> None:
        self.rejections = rejections
        self._topics: dict[str, Topic] = {}

    def points(self, batch: Iterable[tuple[str, bytes]]) -> tuple[list[TelemetryPoint], int]:
        """The points of every valid message, and how many messages were valid."""
        points: list[TelemetryPoint] = []
        valid = 0
        for topic, payload in batch:
            try:
                points.extend(self._points(self._topic(topic), payload))
                valid += 1
            except Refused as refused:
                self.rejections.add(refused.reason)
        return points, valid

    def _topic(self, topic: str) -> Topic:
        parsed = self._topics.get(topic)
        if parsed is None:
            try:
                parsed = parse_topic(topic)
            except TopicError:
                raise Refused("topic") from None
            if parsed.kind is not Kind.TELEMETRY:
                raise Refused("type")
            if len(self._topics) >= TOPIC_CACHE:
                self._topics.clear()
            self._topics[topic] = parsed
        return parsed

    def _points(self, topic: Topic, payload: bytes) -> list[TelemetryPoint]:
        body = _envelope(payload)
        data = body.get("data")
        if not isinstance(data, dict):
            raise Refused("data")
        room = data.get("room")
        # the topic's room is a slug (mqtt.topics.SLUG, narrower than ROOM): the same string needs no match
        if not isinstance(room, str) or (room != topic.room and not ROOM.fullmatch(room)):
            raise Refused("data")
        ts = body.get("ts")
        groups = [
            (utcnow() if ts is None and "ts" not in body else _time(ts), _readings(data.get("readings", {})))
        ]
        samples = data.get("samples", [])
        if not isinstance(samples, list) or len(samples) > MAX_SAMPLES:
            raise Refused("data")
        if samples:
            groups.extend(_sample(sample) for sample in samples)
        if room != topic.room:
            self.rejections.add("telemetry.room")
            return []
        points: list[TelemetryPoint] = []
        for at, readings in groups:
            for measurement, fields in split_readings(readings, self.rejections).items():
                points.append(TelemetryPoint(measurement, topic.site, topic.floor, room, at, fields))
        return points


def _envelope(payload: bytes) -> dict[str, Any]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise Refused("size")
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise Refused("json") from None
    if not isinstance(body, dict):
        raise Refused("envelope")
    version = body.get("v")
    if version != SCHEMA_VERSION or isinstance(version, bool) or not isinstance(version, int):
        raise Refused("version")
    id_, source = body.get("id"), body.get("source")
    if id_ is not None and not (isinstance(id_, str) and ID.fullmatch(id_)):
        raise Refused("envelope")
    if not isinstance(source, str) or not 1 <= len(source) <= 128:
        raise Refused("envelope")
    seq = body.get("seq")
    if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int) or seq < 0):
        raise Refused("envelope")
    if body.get("type") != "room.telemetry":
        raise Refused("type")
    return body


def _time(value: object) -> datetime:
    """An aware time from an RFC 3339 string."""
    if not isinstance(value, str):
        raise Refused("envelope")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise Refused("envelope") from None
    if at.tzinfo is None:
        raise Refused("envelope")
    return at


def _readings(value: object) -> dict[str, float | int | bool]:
    if not isinstance(value, dict) or len(value) > MAX_READINGS:
        raise Refused("data")
    for reading in value.values():
        if not isinstance(reading, int | float):  # bool is an int
            raise Refused("data")
    return value


def _sample(sample: object) -> tuple[datetime, dict[str, float | int | bool]]:
    if not isinstance(sample, dict) or "readings" not in sample:
        raise Refused("data")
    try:
        return _time(sample.get("at")), _readings(sample["readings"])
    except Refused:
        raise Refused("data") from None
