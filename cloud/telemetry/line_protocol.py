"""InfluxDB line protocol for telemetry points, written directly (influxdb-client's ``Point``
costs about four times as much per point, and ingest runs at thousands of messages a second).
A property test checks the output against ``Point.to_line_protocol`` for the same points."""

from __future__ import annotations

from cloud.telemetry.points import TelemetryPoint
from mqtt.messages import Reading

_MEASUREMENT = str.maketrans({",": "\\,", " ": "\\ ", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_TAG = str.maketrans({",": "\\,", "=": "\\=", " ": "\\ ", "\n": "\\n", "\r": "\\r",
                      "\t": "\\t"})


def _field(value: Reading) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    text = str(value)  # points hold finite values only (see points.coerce)
    return text[:-2] if text.endswith(".0") else text


def encode(point: TelemetryPoint) -> str:
    """One line, time in milliseconds; tags sorted by key as InfluxDB prefers."""
    tags = (f"floor={point.floor.translate(_TAG)},room={point.room.translate(_TAG)},"
            f"site={point.site.translate(_TAG)}")
    fields = ",".join(f"{key.translate(_TAG)}={_field(value)}"
                      for key, value in sorted(point.fields.items()))
    return (f"{point.measurement.translate(_MEASUREMENT)},{tags} {fields} "
            f"{point.epoch_ms}")
