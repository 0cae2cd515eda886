"""The in-lift floor-select panel: one relay per floor button on the Pi's GPIO (gpiozero), and
its twin.

Lift controllers take card access as a dry contact per floor ("floor enable"): while a floor's
contact is closed its button may be pressed. A floor of ``public`` (the lobby) stays enabled; a
granted card enables its floors for a while; nothing else ever closes a contact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from gpiozero import DigitalOutputDevice, GPIOZeroError

from edge.hw.gpio import GpioError


class LiftPanel(Protocol):
    def enable(self, floors: frozenset[int]) -> None:
        """Enable exactly these floors' buttons (and disable every other)."""

    def close(self) -> None: ...


class RelayLiftPanel:
    """A relay per floor: energised, that floor's button may be pressed."""

    def __init__(self, *, pins: Mapping[int, int], pin_factory: Any = None) -> None:
        self._relays: dict[int, DigitalOutputDevice] = {}
        try:
            for floor, pin in sorted(pins.items()):
                self._relays[floor] = DigitalOutputDevice(pin, initial_value=False, pin_factory=pin_factory)
        except (GPIOZeroError, ValueError, OSError) as exc:
            self.close()
            raise GpioError(f"cannot use the lift's floor relays: {exc}") from exc

    @property
    def floors(self) -> frozenset[int]:
        return frozenset(self._relays)

    def enable(self, floors: frozenset[int]) -> None:
        try:
            for floor, relay in self._relays.items():
                relay.value = floor in floors
        except (GPIOZeroError, OSError) as exc:
            raise GpioError(f"the lift's floor relays failed: {exc}") from exc

    def close(self) -> None:
        for relay in self._relays.values():
            relay.close()


class SimulatedLiftPanel:
    """Keeps the floors it enabled, in order, for the demo and tests."""

    def __init__(self, floors: frozenset[int]) -> None:
        self.floors = floors
        self.enabled: frozenset[int] = frozenset()
        self.history: list[frozenset[int]] = []

    def enable(self, floors: frozenset[int]) -> None:
        self.enabled = floors & self.floors
        self.history.append(self.enabled)

    def close(self) -> None:
        self.enabled = frozenset()
