"""A room's HVAC setback and lights through relays on the Pi's GPIO (gpiozero), and their twin.

The setback relay closes the thermostat's setback (economy) contact, which most hotel fan-coil
thermostats have; the lights relay is the circuit a key-card switch would cut.
"""

from __future__ import annotations

from typing import Any, Protocol

from gpiozero import DigitalOutputDevice, GPIOZeroError

from edge.hw.gpio import GpioError


class RoomPower(Protocol):
    def apply(self, *, setback: bool, setpoint_c: float, lights_on: bool) -> None: ...

    def close(self) -> None: ...


class RelayRoomPower:
    """Setback relay energised while set back; lights relay energised while the lights may be on."""

    def __init__(self, *, setback_pin: int, lights_pin: int | None = None, pin_factory: Any = None) -> None:
        try:
            self._setback = DigitalOutputDevice(setback_pin, initial_value=False, pin_factory=pin_factory)
            self._lights = None if lights_pin is None else DigitalOutputDevice(
                lights_pin, initial_value=True, pin_factory=pin_factory)
        except (GPIOZeroError, ValueError, OSError) as exc:
            raise GpioError(f"cannot use the room's power relays: {exc}") from exc

    def apply(self, *, setback: bool, setpoint_c: float, lights_on: bool) -> None:
        self._setback.value = setback
        if self._lights is not None:
            self._lights.value = lights_on

    def close(self) -> None:
        self._setback.close()
        if self._lights is not None:
            self._lights.close()


class SimulatedRoomPower:
    """Keeps what it was told, for the demo and tests."""

    def __init__(self) -> None:
        self.setback = False
        self.setpoint_c: float | None = None
        self.lights_on = True
        self.applied = 0

    def apply(self, *, setback: bool, setpoint_c: float, lights_on: bool) -> None:
        self.setback, self.setpoint_c, self.lights_on = setback, setpoint_c, lights_on
        self.applied += 1

    def close(self) -> None:
        return None
