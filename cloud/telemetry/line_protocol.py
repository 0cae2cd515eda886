"""InfluxDB line protocol for telemetry points, written directly (influxdb-client's ``Point``
costs about four times as much per point, and ingest runs at thousands of messages a second).
A property test checks the output against ``Point.to_line_protocol`` for the same points."""

from __future__ import annotations

import functools

from cloud.telemetry.points import TelemetryPoint
from mqtt.messages import Reading
from mqtt.readings import READINGS

_MEASUREMENT = str.maketrans({",": "\\,", " ": "\\ ", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_TAG = str.maketrans({",": "\\,", "=": "\\=", " ": "\\ ", "\n": "\\n", "\r": "\\r",
                      "\t": "\\t"})


_KEYS = {key: key.translate(_TAG) for key in READINGS}  # field keys, escaped once


def _field(value: Reading) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    text = str(value)  # points hold finite values only (see points.coerce)
    return text[:-2] if text.endswith(".0") else text


@functools.lru_cache(maxsize=100_000)
def _series(measurement: str, site: str, floor: str, room: str) -> str:
    """Measurement and tags, escaped once per series (a room's points repeat them)."""
    return (f"{measurement.translate(_MEASUREMENT)},floor={floor.translate(_TAG)},"
            f"room={room.translate(_TAG)},site={site.translate(_TAG)}")


def encode(point: TelemetryPoint) -> str:
    """One line, time in milliseconds; tags sorted by key as InfluxDB prefers."""
    fields = ",".join(f"{_KEYS.get(key) or key.translate(_TAG)}={_field(value)}"
                      for key, value in sorted(point.fields.items()))
    return f"{_series(point.measurement, point.site, point.floor, point.room)} {fields} {point.epoch_ms}"
