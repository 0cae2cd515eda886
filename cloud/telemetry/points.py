"""Pure translation of decoded telemetry messages into time-series points.

One point per (message or sample, measurement): tags site, floor, room; one field per
reading, coerced to its catalog kind so the store never sees a field change type. Readings
outside the catalog or with a value of the wrong kind are counted and left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mqtt.codec import Rejections
from mqtt.envelope import Envelope
from mqtt.messages import Reading, Telemetry
from mqtt.readings import READINGS, ReadingSpec
from mqtt.topics import Topic

TelemetryItem = tuple[Topic, Envelope, Telemetry]
"""What the MQTT ingest's batch holds per telemetry message (``Batch.telemetry``)."""


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class TelemetryPoint:
    measurement: str
    site: str
    floor: str
    room: str
    at: datetime
    fields: dict[str, Reading]

    @property
    def epoch_ms(self) -> int:
        """Milliseconds since the epoch, in integer arithmetic."""
        return (self.at - EPOCH) // MILLISECOND


def coerce(spec: ReadingSpec, value: Reading) -> Reading | None:
    """The value as the catalog kind says, or None when it cannot be one."""
    if spec.kind == "bool":
        return value if isinstance(value, bool) else None
    if isinstance(value, bool):
        return None
    if spec.kind == "int":
        if isinstance(value, float) and not value.is_integer():
            return None
        return int(value) if math.isfinite(value) else None
    return float(value) if math.isfinite(value) else None


def points_of(item: TelemetryItem, rejections: Rejections | None = None) -> list[TelemetryPoint]:
    topic, envelope, data = item
    if data.room != topic.room:
        _count(rejections, "telemetry.room")
        return []
    groups: list[tuple[datetime, dict[str, Reading]]] = []
    if data.readings:
        groups.append((envelope.ts, data.readings))
    groups.extend((sample.at, sample.readings) for sample in data.samples)
    points: list[TelemetryPoint] = []
    for at, readings in groups:
        by_measurement = split_readings(readings, rejections)
        for measurement, fields in by_measurement.items():
            points.append(TelemetryPoint(measurement, topic.site, topic.floor, data.room, at,
                                         fields))
    return points


_FLOATS = {key: spec.measurement for key, spec in READINGS.items() if spec.kind == "float"}
_BOOLS = {key: spec.measurement for key, spec in READINGS.items() if spec.kind == "bool"}


def split_readings(readings: dict[str, Reading],
           rejections: Rejections | None) -> dict[str, dict[str, Reading]]:
    out: dict[str, dict[str, Reading]] = {}
    for key, value in readings.items():
        # the common cases first, without a call: a float reading that is a finite float, a
        # bool reading that is a bool (what coerce would return unchanged)
        value_type = type(value)
        if value_type is float and key in _FLOATS and math.isfinite(value):
            measurement = _FLOATS[key]
        elif value_type is bool and key in _BOOLS:
            measurement = _BOOLS[key]
        else:
            spec = READINGS.get(key)
            if spec is None:
                _count(rejections, "telemetry.reading")
                continue
            coerced = coerce(spec, value)
            if coerced is None:
                _count(rejections, "telemetry.value")
                continue
            measurement, value = spec.measurement, coerced
        fields = out.get(measurement)
        if fields is None:
            out[measurement] = {key: value}
        else:
            fields[key] = value
    return out


def _count(rejections: Rejections | None, reason: str) -> None:
    if rejections is not None:
        rejections.add(reason)


def all_points(items: Iterable[TelemetryItem],
               rejections: Rejections | None = None) -> list[TelemetryPoint]:
    return [point for item in items for point in points_of(item, rejections)]
