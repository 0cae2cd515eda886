"""Sensor ports: anything that yields a room's readings (keys from ``mqtt.readings``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from edge.telemetry.errors import SensorError
from mqtt.readings import READINGS

Reading = float | int | bool
Readings = Mapping[str, Reading]


class Sensor(Protocol):
    """One source of readings for one room (or ``gateway`` for the gateway's own health)."""

    @property
    def room(self) -> str: ...

    def read(self) -> Readings:
        """Current readings; raises SensorError when the device does not answer."""
        ...


def normalise(readings: Readings) -> dict[str, Reading]:
    """Coerce each known reading to its catalog kind so the store never sees a type change."""
    out: dict[str, Reading] = {}
    for key, value in readings.items():
        spec = READINGS.get(key)
        if spec is None:
            raise SensorError(f"reading {key!r} is not in the catalog")
        if spec.kind == "bool":
            out[key] = bool(value)
        elif spec.kind == "int":
            out[key] = int(value)
        else:
            out[key] = float(value)
    return out


class BusSensor:
    """Readings the door-node bus delivers (climate, PIR, contact, battery, link quality).

    ``fetch`` is injected by the gateway's serial-bus adapter; it returns the node's last
    reported values, or raises when the node is not answering.
    """

    def __init__(self, room: str, fetch: Callable[[], Readings]) -> None:
        self._room = room
        self._fetch = fetch

    @property
    def room(self) -> str:
        return self._room

    def read(self) -> Readings:
        try:
            values = self._fetch()
        except SensorError:
            raise
        except (OSError, TimeoutError, ValueError) as exc:
            raise SensorError(f"room {self._room}: door node did not answer: {exc}") from exc
        return normalise(values)
