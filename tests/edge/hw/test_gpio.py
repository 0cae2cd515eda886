"""gpiozero adapters on gpiozero's MockFactory."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from gpiozero.pins.mock import MockFactory, MockPin

from edge.hw.gpio import DoorContact, GpioError, LockRelay, MotionDetector


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    f = MockFactory()
    yield f
    f.reset()


def now() -> datetime:
    return datetime.now(UTC)


def wait(cond: Callable[[], bool], timeout: float = 30.0) -> bool:  # generous: a loaded machine
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.005)
    return False


def test_relay_unlocks_then_relocks_by_itself(factory: MockFactory) -> None:
    relay = LockRelay(17, pin_factory=factory)
    pin = factory.pin(17)
    assert pin.state == 0 and not relay.unlocked
    relay.unlock(0.1)
    assert wait(lambda: pin.state == 1)
    assert relay.unlocked
    assert wait(lambda: pin.state == 0)
    relay.close()


def test_active_low_relay_board_is_driven_low_to_unlock(factory: MockFactory) -> None:
    relay = LockRelay(18, active_high=False, pin_factory=factory)
    assert factory.pin(18).state == 1
    relay.unlock(5)
    assert wait(lambda: factory.pin(18).state == 0)
    relay.lock()
    assert factory.pin(18).state == 1 and not relay.unlocked


def test_relay_refuses_silly_unlock_times(factory: MockFactory) -> None:
    relay = LockRelay(17, pin_factory=factory)
    for bad in (0, -1, 61):
        with pytest.raises(ValueError):
            relay.unlock(bad)
    assert factory.pin(17).state == 0


def test_contact_reports_open_and_closed_with_times(factory: MockFactory) -> None:
    seen: list[tuple[bool, datetime]] = []
    contact = DoorContact(22, on_change=lambda o, at: seen.append((o, at)), clock=now,
                          bounce_s=None, pin_factory=factory)
    pin = factory.pin(22)
    pin.drive_low()
    assert not contact.is_open
    pin.drive_high()
    assert contact.is_open
    pin.drive_low()
    assert [o for o, _ in seen] == [False, True, False]
    assert all(at.tzinfo is UTC for _, at in seen)


def test_normally_closed_switch_is_read_the_other_way(factory: MockFactory) -> None:
    seen: list[bool] = []
    contact = DoorContact(23, on_change=lambda o, at: seen.append(o), clock=now,
                          closed_when_low=False, bounce_s=None, pin_factory=factory)
    factory.pin(23).drive_low()
    assert contact.is_open and seen == [True]


def test_pir_reports_motion_and_its_end(factory: MockFactory) -> None:
    seen: list[bool] = []
    pir = MotionDetector(24, on_motion=lambda m, at: seen.append(m), clock=now,
                         sample_rate=100, pin_factory=factory)  # returns after the first sample
    factory.pin(24).drive_high()
    assert wait(lambda: seen == [True]) and pir.motion
    factory.pin(24).drive_low()
    assert wait(lambda: seen == [True, False]) and not pir.motion
    pir.close()


def test_pir_already_active_at_start_reports_motion(factory: MockFactory) -> None:
    """Someone already moving when the gateway starts: the first sample is the baseline, of
    which gpiozero fires no event, so the detector tells it itself."""
    class Moving(MockPin):  # the PIR's output already high, whatever pull the input sets
        def _set_pull(self, value: str) -> None:
            super()._set_pull(value)
            self.drive_high()

    seen: list[bool] = []
    factory.pin(26, pin_class=Moving)
    pir = MotionDetector(26, on_motion=lambda m, at: seen.append(m), clock=now, pin_factory=factory)
    assert seen == [True] and pir.motion
    factory.pin(26).drive_low()
    assert wait(lambda: seen == [True, False]) and not pir.motion
    pir.close()


def test_pin_already_in_use_is_a_gpio_error(factory: MockFactory) -> None:
    first = LockRelay(25, pin_factory=factory)
    with pytest.raises(GpioError, match="25"):
        LockRelay(25, pin_factory=factory)
    first.close()
