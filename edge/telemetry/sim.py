"""Simulated twins of the room sensors and the gateway's health, for the demo and tests.

Values drift like the real thing (a random walk from a seeded generator), and tests can
set any value directly or make a sensor stop answering.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from edge.telemetry.errors import SensorError
from edge.telemetry.sensors import Reading, Readings, normalise
from mqtt.readings import GATEWAY_ROOM


@dataclass
class SimRoomSensors:
    """Climate, PIR, door contact, lock battery and link quality of one room's door node, and the
    room circuit's power as a meter on it would read (standby, or the room in use)."""

    room: str
    seed: int = 0
    temperature_c: float = 21.5
    humidity_pct: float = 45.0
    occupied: bool = False
    door_open: bool = False
    battery_charge_pct: float = 100.0  # the simulated cells' charge; reported as volts
    link_quality_pct: float = 98.0
    power_w: float = 15.0
    silent: bool = False  # the node stops answering
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def step(self) -> None:
        """Advance the simulation by one tick."""
        self.temperature_c = round(self.temperature_c + self._rng.uniform(-0.1, 0.1), 2)
        humidity = self.humidity_pct + self._rng.uniform(-0.5, 0.5)
        self.humidity_pct = min(100.0, max(0.0, round(humidity, 1)))
        self.battery_charge_pct = max(0.0, round(self.battery_charge_pct - 0.001, 3))
        link = self.link_quality_pct + self._rng.uniform(-1, 1)
        self.link_quality_pct = min(100.0, max(0.0, link))
        if self._rng.random() < 0.02:
            self.occupied = not self.occupied
        in_use = 650.0 if self.occupied else 15.0  # HVAC, lights and sockets against standby
        self.power_w = round(max(0.0, in_use + self._rng.uniform(-10, 10)), 1)

    @property
    def lock_battery_v(self) -> float:
        """Two AA cells in series: about 3.0 V full, 2.4 V empty (linear is close enough here)."""
        return round(2.4 + 0.6 * self.battery_charge_pct / 100.0, 3)

    def read(self) -> Readings:
        if self.silent:
            raise SensorError(f"room {self.room}: door node did not answer")
        return normalise({
            "temperature_c": self.temperature_c,
            "humidity_pct": self.humidity_pct,
            "occupied": self.occupied,
            "door_open": self.door_open,
            "lock_battery_v": self.lock_battery_v,
            "link_quality_pct": round(self.link_quality_pct, 1),
            "power_w": self.power_w,
        })


@dataclass
class SimGatewayHealth:
    """The gateway's health as the demo shows it."""

    cpu_temp_c: float = 48.0
    disk_free_pct: float = 71.0
    outbox_depth: int = 0
    telemetry_backlog: int = 0
    clock_offset_s: float = 0.0
    room: str = GATEWAY_ROOM

    def read(self) -> Readings:
        values: dict[str, Reading] = {
            "cpu_temp_c": self.cpu_temp_c,
            "disk_free_pct": self.disk_free_pct,
            "outbox_depth": self.outbox_depth,
            "telemetry_backlog": self.telemetry_backlog,
            "clock_offset_s": self.clock_offset_s,
        }
        return normalise(values)
