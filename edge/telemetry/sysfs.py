"""The gateway's own health, read from the Linux system (a Raspberry Pi in production)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from edge.telemetry.errors import SensorError
from edge.telemetry.sensors import Reading, Readings
from mqtt.readings import GATEWAY_ROOM

THERMAL_ZONE = Path("/sys/class/thermal/thermal_zone0/temp")


def read_cpu_temp_c(path: Path = THERMAL_ZONE) -> float:
    """The kernel reports millidegrees Celsius as text."""
    try:
        raw = path.read_text(encoding="ascii").strip()
        return int(raw) / 1000.0
    except (OSError, ValueError) as exc:
        raise SensorError(f"cannot read CPU temperature from {path}: {exc}") from exc


def read_disk_free_pct(path: Path) -> float:
    try:
        usage = shutil.disk_usage(path)
    except OSError as exc:
        raise SensorError(f"cannot read disk usage of {path}: {exc}") from exc
    return 100.0 * usage.free / usage.total if usage.total else 0.0


class SystemHealth:
    """CPU temperature, disk, outbox depth, telemetry backlog and clock offset of the gateway.

    The outbox, backlog and clock are the gateway's own objects, passed in as callables.
    A missing thermal zone (not a Pi, or a container) leaves that reading out.
    """

    def __init__(self, *, data_dir: Path, outbox_depth: Callable[[], int],
                 clock_offset_s: Callable[[], float | None],
                 backlog_depth: Callable[[], int] | None = None,
                 thermal_zone: Path = THERMAL_ZONE) -> None:
        self._data_dir = data_dir
        self._outbox_depth = outbox_depth
        self._clock_offset_s = clock_offset_s
        self._backlog_depth = backlog_depth
        self._thermal_zone = thermal_zone

    @property
    def room(self) -> str:
        return GATEWAY_ROOM

    def read(self) -> Readings:
        values: dict[str, Reading] = {
            "disk_free_pct": read_disk_free_pct(self._data_dir),
            "outbox_depth": int(self._outbox_depth()),
        }
        if self._thermal_zone.exists():
            values["cpu_temp_c"] = read_cpu_temp_c(self._thermal_zone)
        offset = self._clock_offset_s()
        if offset is not None:
            values["clock_offset_s"] = float(offset)
        if self._backlog_depth is not None:
            values["telemetry_backlog"] = int(self._backlog_depth())
        return values
