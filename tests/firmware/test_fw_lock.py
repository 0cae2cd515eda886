# portable: runs under CPython (pytest) and inside MicroPython (test_fw_micropython.py).
# ruff: noqa: UP031  (MicroPython runs this file too: plain % formatting)
try:
    from doornode import frame as fr
    from doornode.node import DoorNode
except ImportError:
    from firmware.doornode import frame as fr
    from firmware.doornode.node import DoorNode

from fw_fakes import FakePin, FakeReader, FakeUart

ADDR = 7


class Rig:
    """A node whose queued events the test reads straight from its queue."""

    def __init__(self, **options):
        self.uart, self.relay, self.contact = FakeUart(), FakePin(), FakePin(0)
        self.now = 1000
        self.node = DoorNode(self.uart, self.relay, self.contact, FakeReader(), ADDR,
                             now_ms=self.now, status_every_ms=10 ** 6, **options)

    def step(self, ms=1):
        for _ in range(ms):
            self.now += 1
            self.node.step(self.now)

    def take(self, kind):
        """The data of the queued events of ``kind``, taken off the queue."""
        found = [item[2] for item in self.node.queue if item[0] == kind]
        self.node.queue = [item for item in self.node.queue if item[0] != kind]
        return found


class LockSensor(FakePin):
    """A strike monitor that follows the relay after ``delay`` steps, unless stuck."""

    def __init__(self, relay, delay=20):
        FakePin.__init__(self, 0)
        self.relay, self.delay, self.stuck, self.seen = relay, delay, False, 0

    def value(self, level=None):
        if level is not None:
            return FakePin.value(self, level)
        if not self.stuck and self.relay.level != self.level:
            self.seen += 1
            if self.seen >= self.delay:
                self.level, self.seen = self.relay.level, 0
        return self.level


def test_lock_changes_are_reported_as_commanded_without_a_sensor():
    rig = Rig()
    assert rig.take(fr.LOCK) == [(True, 0)]  # boot: locked
    rig.node.unlock(50, rig.now)
    rig.step(60)
    assert rig.take(fr.LOCK) == [(False, 0), (True, 0)]


def test_lock_changes_are_reported_as_the_sensor_sees_them():
    sensor = LockSensor(None)
    rig = Rig(lock_sense=sensor)
    sensor.relay = rig.relay
    rig.step(5)
    assert rig.take(fr.LOCK) == [(True, fr.LOCK_SENSED)]
    rig.node.unlock(100, rig.now)
    rig.step(10)
    assert rig.take(fr.LOCK) == []  # the strike has not moved yet
    rig.step(150)
    assert rig.take(fr.LOCK) == [(False, fr.LOCK_SENSED), (True, fr.LOCK_SENSED)]
    assert rig.take(fr.FAULT) == []


def test_a_release_the_sensor_never_confirms_is_a_fault_and_the_relay_goes_back():
    sensor = LockSensor(None)
    sensor.stuck = True
    rig = Rig(lock_sense=sensor)
    sensor.relay = rig.relay
    rig.step(5)
    rig.take(fr.LOCK)
    rig.node.unlock(5000, rig.now)
    assert rig.relay.level == 1
    rig.step(400)
    assert rig.take(fr.FAULT) == [fr.FAULT_LOCK_NO_FEEDBACK]
    assert rig.relay.level == 0 and not rig.node.unlocked()
    assert rig.take(fr.LOCK) == []  # never reported unlocked


def test_a_relay_stuck_released_is_a_fault_and_reported_unlocked():
    sensor = LockSensor(None, delay=1)
    rig = Rig(lock_sense=sensor)
    sensor.relay = rig.relay
    rig.step(5)
    rig.take(fr.LOCK)
    rig.node.unlock(50, rig.now)
    rig.step(10)
    sensor.stuck = True  # welded contact: the strike stays released
    rig.step(500)
    assert rig.take(fr.LOCK) == [(False, fr.LOCK_SENSED)]
    assert rig.take(fr.FAULT) == [fr.FAULT_LOCK_NO_FEEDBACK]


def test_inside_handle_is_reported_once_per_turn_after_debounce():
    handle = FakePin(1)
    rig = Rig(handle=handle, handle_level=0)
    rig.step(50)
    handle.value(0)
    rig.step(5)
    handle.value(1)  # a bounce
    rig.step(5)
    assert rig.take(fr.EGRESS) == []
    handle.value(0)
    rig.step(100)
    handle.value(1)
    rig.step(100)
    assert len(rig.take(fr.EGRESS)) == 1


def test_lock_fault_and_egress_reports_round_trip_through_the_frame():
    assert fr.decode_lock(fr.encode_lock(True, fr.LOCK_SENSED, 70000)) == (True, 1, 0xFFFF)
    assert fr.decode_fault(fr.encode_fault(fr.FAULT_CARD_TORN, 12)) == (fr.FAULT_CARD_TORN, 12)
    assert fr.decode_egress(fr.encode_egress(5)) == 5
    for bad in (b"\x02\x00\x00\x00", b"\x01\x00\x00"):
        try:
            fr.decode_lock(bad)
        except fr.FrameError:
            continue
        raise AssertionError("took LOCK %r" % bad)
    try:
        fr.decode_fault(b"\x63\x00\x00")
    except fr.FrameError:
        return
    raise AssertionError("took an unknown fault code")
