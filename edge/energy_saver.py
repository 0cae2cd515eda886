"""Runs ``edge.energy`` for every room on the gateway's tick: applies each mode change through the
room's power adapter (relays on a Pi, the twin in a simulation), keeps each room's running total
in its ledger (the gateway's store, so a restart does not reset it) and records a ``room.setback``
event carrying that total."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from edge.energy import EnergyPolicy, RoomEnergy, settle, step
from edge.energy_ledger import EnergyLedger, MemoryEnergyLedger
from edge.hw.errors import HardwareError
from edge.hw.room_power import RoomPower
from edge.room_state import Room
from mqtt.messages import Data, RoomSetback

log = logging.getLogger(__name__)
Record = Callable[[str, Data], object]


class EnergySaver:
    def __init__(self, *, policy: EnergyPolicy, power: Mapping[str, RoomPower],
                 room: Callable[[str], Room], record: Record, ledger: EnergyLedger | None = None) -> None:
        self.policy = policy
        self._power = dict(power)
        self._room, self._record = room, record
        self._ledger = ledger if ledger is not None else MemoryEnergyLedger()
        self.energy = {name: self._start(name) for name in power}

    def _start(self, name: str) -> RoomEnergy:
        """The room's total so far; its relays start in comfort, so its mode does too."""
        kept = self._ledger.load(name)
        return RoomEnergy(room=name, saved_kwh=kept.saved_kwh if kept is not None else 0.0)

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
            self._ledger.save(energy)
            self._record("room.setback", RoomSetback(room=name, setback=energy.setback,
                                                     setpoint_c=change.setpoint_c,
                                                     saved_kwh=energy.saved_kwh))

    def close(self, now: datetime | None = None) -> None:
        """Release the relays; with ``now``, count the setbacks held until now in the totals."""
        for name, power in self._power.items():
            if now is not None and self.energy[name].setback:
                self.energy[name] = settle(self.energy[name], now, self.policy)
                self._ledger.save(self.energy[name])
            power.close()
