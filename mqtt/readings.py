"""The telemetry readings of contract v1: one catalog the edge samples, the cloud writes and
the dashboards query, so the three cannot drift apart.

A reading is one key of ``Telemetry.readings``. In the time-series store it becomes field
``key`` of measurement ``spec.measurement`` with tags site, floor, room (VictoriaMetrics and
Prometheus-style readers see it as metric ``<measurement>_<key>``).

The lock battery is reported as the door node measures it, in volts (``lock_battery_v``): a
percentage would need each cell's discharge curve, which neither the node nor the gateway knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ROOM_MEASUREMENT = "room"
GATEWAY_MEASUREMENT = "gateway"
GATEWAY_ROOM = "gateway"
"""Room slug a gateway publishes its own health under (``rooms/gateway/telemetry``)."""

ReadingKind = Literal["float", "int", "bool"]


@dataclass(frozen=True, slots=True)
class ReadingSpec:
    key: str
    measurement: str
    kind: ReadingKind
    unit: str  # Grafana unit id
    title: str
    deadband: float = 0.0  # change below this is not worth sending (numbers only)

    @property
    def metric(self) -> str:
        """The Prometheus-style metric name a line-protocol store derives."""
        return f"{self.measurement}_{self.key}"


_SPECS = (
    ReadingSpec("temperature_c", ROOM_MEASUREMENT, "float", "celsius", "Temperature", 0.2),
    ReadingSpec("humidity_pct", ROOM_MEASUREMENT, "float", "humidity", "Humidity", 1.0),
    ReadingSpec("occupied", ROOM_MEASUREMENT, "bool", "bool", "Occupied"),
    ReadingSpec("door_open", ROOM_MEASUREMENT, "bool", "bool", "Door open"),
    ReadingSpec("lock_battery_v", ROOM_MEASUREMENT, "float", "volt", "Lock battery", 0.05),
    ReadingSpec("power_w", ROOM_MEASUREMENT, "float", "watt", "Power", 5.0),
    ReadingSpec("link_quality_pct", ROOM_MEASUREMENT, "float", "percent", "Door-node link", 2.0),
    ReadingSpec("cpu_temp_c", GATEWAY_MEASUREMENT, "float", "celsius", "Gateway CPU", 1.0),
    ReadingSpec("disk_free_pct", GATEWAY_MEASUREMENT, "float", "percent", "Disk free", 1.0),
    ReadingSpec("outbox_depth", GATEWAY_MEASUREMENT, "int", "short", "Event outbox depth"),
    ReadingSpec("telemetry_backlog", GATEWAY_MEASUREMENT, "int", "short", "Telemetry backlog"),
    ReadingSpec("clock_offset_s", GATEWAY_MEASUREMENT, "float", "s", "Clock offset", 0.05),
)

READINGS: dict[str, ReadingSpec] = {spec.key: spec for spec in _SPECS}


def readings_of(measurement: str) -> list[ReadingSpec]:
    return [spec for spec in _SPECS if spec.measurement == measurement]
