"""Readings the hardware pushes (the door-node bus), held until the next telemetry tick.

The bus reports whenever a node answers a status poll; the pump reads sensors on its own
tick. ``ReportedSensor`` sits between the two: the latest value of each reading wins, and a
read takes them, so a node that stops reporting sends nothing stale.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Mapping

from edge.telemetry.sensors import Reading, Readings, normalise
from mqtt.readings import READINGS

log = logging.getLogger(__name__)


def bus_readings(raw: Mapping[str, Reading]) -> dict[str, Reading]:
    """The door-node bus's readings in catalog terms; keys outside the catalog are left out.

    The bus reports ``link_quality`` as the fraction of polls answered (0..1); the catalog
    has ``link_quality_pct``. Values that are not finite numbers are left out too.
    """
    out: dict[str, Reading] = {}
    for key, value in raw.items():
        if not isinstance(value, bool | int | float) or not math.isfinite(value):
            continue
        if key == "link_quality" and not isinstance(value, bool):
            pct = round(float(value) * 100.0, 1)
            if math.isfinite(pct):  # a huge fraction would overflow to inf
                out["link_quality_pct"] = pct
        elif key in READINGS:
            out[key] = value
    return normalise(out)


class ReportedSensor:
    """One room's pushed readings (thread-safe): ``report`` merges, ``read`` takes them."""

    def __init__(self, room: str) -> None:
        self._room = room
        self._lock = threading.Lock()
        self._values: dict[str, Reading] = {}
        self.unmapped = 0  # reports that carried keys outside the catalog

    @property
    def room(self) -> str:
        return self._room

    def report(self, raw: Mapping[str, Reading]) -> None:
        values = bus_readings(raw)
        skipped = len(raw) - len(values)
        with self._lock:
            self._values.update(values)
            if skipped > 0:
                self.unmapped += 1
        if skipped > 0:
            log.debug("room %s: %d readings outside the catalog left out", self._room, skipped)

    def read(self) -> Readings:
        with self._lock:
            values, self._values = self._values, {}
        return values
