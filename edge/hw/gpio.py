"""gpiozero adapters for doors wired straight to the gateway: lock relay, contact, PIR.

Each receives an optional gpiozero pin factory (MockFactory in tests and the demo) and a
clock, and reports what it sees through plain callbacks with aware UTC timestamps; the
composition root passes them to the gateway, whose room state machine makes events of them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from gpiozero import DigitalInputDevice, DigitalOutputDevice, GPIOZeroError, MotionSensor

from edge.hw.errors import HardwareError

Clock = Callable[[], datetime]
OnContact = Callable[[bool, datetime], None]  # (is_open, at)
OnMotion = Callable[[bool, datetime], None]  # (motion, at)


class GpioError(HardwareError):
    """A GPIO pin could not be claimed or driven."""


def _claim(factory: Callable[..., Any], pin: int | str, **options: Any) -> Any:
    try:
        return factory(pin, **options)
    except (GPIOZeroError, ValueError, OSError) as exc:
        raise GpioError(f"cannot use GPIO pin {pin!r}: {exc}") from exc


class LockRelay:
    """The strike or motor lock relay; energised means unlocked."""

    def __init__(
        self, pin: int | str, *, active_high: bool = True, pin_factory: Any = None
    ) -> None:
        self._relay: DigitalOutputDevice = _claim(
            DigitalOutputDevice, pin, active_high=active_high, initial_value=False,
            pin_factory=pin_factory,
        )

    def unlock(self, seconds: float) -> None:
        """Energise for `seconds`, then relock by itself (gpiozero's background timer)."""
        if not 0 < seconds <= 60:
            raise ValueError(f"unlock time must be within (0, 60] s, got {seconds}")
        self._relay.blink(on_time=seconds, off_time=0, n=1, background=True)

    def lock(self) -> None:
        self._relay.off()

    @property
    def unlocked(self) -> bool:
        return bool(self._relay.value)

    def close(self) -> None:
        self._relay.close()


class DoorContact:
    """A reed switch to ground with the pull-up on: closed door pulls the pin low."""

    def __init__(
        self,
        pin: int | str,
        *,
        on_change: OnContact,
        clock: Clock,
        closed_when_low: bool = True,
        bounce_s: float | None = 0.05,
        pin_factory: Any = None,
    ) -> None:
        self._clock, self._on_change = clock, on_change
        self._closed_when_active = closed_when_low  # pull-up: active means the pin is low
        self._input: DigitalInputDevice = _claim(
            DigitalInputDevice, pin, pull_up=True, bounce_time=bounce_s, pin_factory=pin_factory
        )
        self._input.when_activated = lambda: self._report(active=True)
        self._input.when_deactivated = lambda: self._report(active=False)

    @property
    def is_open(self) -> bool:
        return bool(self._input.is_active) != self._closed_when_active

    def _report(self, *, active: bool) -> None:
        self._on_change(active != self._closed_when_active, self._clock())

    def close(self) -> None:
        self._input.close()


class MotionDetector:
    """A PIR sensor (active high): occupancy, or a request-to-exit beside the door."""

    def __init__(
        self,
        pin: int | str,
        *,
        on_motion: OnMotion,
        clock: Clock,
        sample_rate: float = 10,
        pin_factory: Any = None,
    ) -> None:
        self._clock, self._on_motion = clock, on_motion
        self._sensor: MotionSensor = _claim(
            MotionSensor, pin, sample_rate=sample_rate, pin_factory=pin_factory
        )
        self._sensor.when_motion = lambda: self._on_motion(True, self._clock())
        self._sensor.when_no_motion = lambda: self._on_motion(False, self._clock())
        # gpiozero takes its first sample as the baseline and fires no event for it, so motion
        # that began before that sample (one period after start, later on a busy Pi) would
        # never be told. Wait for that sample and tell motion it holds; a change after it fires
        # as usual (at worst motion is told twice, which the room takes as one).
        if self._sensor.motion_detected:
            self._on_motion(True, self._clock())

    @property
    def motion(self) -> bool:
        return bool(self._sensor.motion_detected)

    def close(self) -> None:
        self._sensor.close()
