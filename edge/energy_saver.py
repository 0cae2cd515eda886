"""Runs ``edge.energy`` for every room on the gateway's tick: applies each mode change through the
room's power adapter (relays on a Pi, the twin in a simulation) and records a ``room.setback``
event with the estimated energy saved."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from edge.energy import EnergyPolicy, RoomEnergy, step
from edge.hw.errors import HardwareError
from edge.hw.room_power import RoomPower
from edge.room_state import Room
from mqtt.messages import Data, RoomSetback

log = logging.getLogger(__name__)
Record = Callable[[str, Data], object]


class EnergySaver:
    def __init__(self, *, policy: EnergyPolicy, power: Mapping[str, RoomPower],
                 room: Callable[[str], Room], record: Record) -> None:
        self.policy = policy
        self._power = dict(power)
        self._room, self._record = room, record
        self.energy = {name: RoomEnergy(room=name) for name in power}

    def tick(self, now: datetime) -> None:
        for name, power in self._power.items():
            energy, change = step(self.energy[name], self._room(name), now, self.policy)
            self.energy[name] = energy
            if change is None:
                continue
            try:
                power.apply(setback=energy.setback, setpoint_c=change.setpoint_c, lights_on=change.lights_on)
            except HardwareError:
                log.exception("room %s: power relays failed", name)
            self._record("room.setback", RoomSetback(room=name, setback=energy.setback,
                                                     setpoint_c=change.setpoint_c,
                                                     saved_kwh=energy.saved_kwh))

    def close(self) -> None:
        for power in self._power.values():
            power.close()
