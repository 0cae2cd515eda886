"""The gateway's door node service end to end: real firmware on a pty, a fixed policy."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from edge.hw.door_nodes import Decision, DoorNodes, NodeConfig, Reading
from edge.hw.errors import SerialPortError
from edge.hw.serial_bus import SerialBus, open_port
from edge.hw.sim_node import SimulatedBus, SimulatedDoorNode
from firmware.doornode import frame as fr
from firmware.doornode.clock import ticks_ms
from mqtt.messages import AccessDecision, Data, DoorEvent, NodeOffline

GUEST = b"guest-0412"
STRANGER = b"stranger-99"


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, Data]] = []
        self.readings: list[dict[str, Reading]] = []
        self.asked: list[tuple[bytes, str, datetime]] = []

    def emit(self, event_type: str, data: Data, /) -> None:
        self.events.append((event_type, data))

    def telemetry(self, room: str | None, door: str, readings: dict[str, Reading], /) -> None:
        self.readings.append(readings)

    def types(self) -> list[str]:
        return [t for t, _ in self.events]


def fixed_policy(rec: Recorder) -> Callable[[bytes, str, datetime], Decision]:
    def decide(card: bytes, door: str, now: datetime, /) -> Decision:
        rec.asked.append((card, door, now))
        if card.startswith(b"guest-") and door == "room-412":
            return Decision(True, "guest", unlock_ms=300, remember_s=60, credential_id="c-1")
        return Decision(False, "unknown-card")

    return decide


@pytest.fixture
def rig(door_node: SimulatedDoorNode) -> Iterator[tuple[DoorNodes, Recorder, SimulatedDoorNode]]:
    rec = Recorder()
    bus = SerialBus(open_port(door_node.device))
    service = DoorNodes(
        bus, [NodeConfig(7, "room-412", "412")], decide=fixed_policy(rec),
        emit=rec.emit, telemetry=rec.telemetry, now=lambda: datetime.now(UTC),
    )
    yield service, rec, door_node


def poll_until(service: DoorNodes, done: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        service.poll_once()
        if done():
            return
        time.sleep(0.002)
    raise AssertionError("condition not reached")


Rig = tuple[DoorNodes, Recorder, SimulatedDoorNode]


def test_granted_tap_unlocks_the_door_and_is_reported(rig: Rig) -> None:
    service, rec, node = rig
    poll_until(service, lambda: service.doors.is_open("room-412") is False)  # link up
    mark = node.lock.mark()
    node.tap(GUEST)
    poll_until(service, lambda: "access.granted" in rec.types())
    assert node.lock.wait_for(1, timeout=1.0, since=mark)
    card, door, now = rec.asked[0]
    assert (card, door) == (GUEST, "room-412") and now.tzinfo is not None
    data = dict(rec.events)["access.granted"]
    assert isinstance(data, AccessDecision)
    assert (data.door, data.room, data.kind) == ("room-412", "412", "card")
    assert data.credential_id == "c-1"
    assert node.lock.wait_for(0, timeout=1.0)


def test_refused_tap_keeps_the_door_locked(rig: Rig) -> None:
    service, rec, node = rig
    poll_until(service, lambda: service.doors.is_open("room-412") is False)  # link up
    mark = node.lock.mark()
    node.tap(STRANGER)
    poll_until(service, lambda: "access.denied" in rec.types())
    assert rec.asked and rec.asked[0][0] == STRANGER  # the gateway decided, not the node
    assert not node.lock.wait_for(1, timeout=0.05, since=mark)


def test_door_opened_after_a_grant_is_not_forced(rig: Rig) -> None:
    service, rec, node = rig
    poll_until(service, lambda: service.doors.is_open("room-412") is False)
    node.tap(GUEST)
    poll_until(service, lambda: "access.granted" in rec.types())
    node.set_door(is_open=True)
    poll_until(service, lambda: "door.opened" in rec.types())
    node.set_door(is_open=False)
    poll_until(service, lambda: rec.types().count("door.closed") >= 2)
    assert "door.forced" not in rec.types()
    closed = [d for t, d in rec.events if t == "door.closed"][-1]
    assert isinstance(closed, DoorEvent) and closed.seconds_open is not None


def test_door_opened_without_a_grant_is_forced(rig: Rig) -> None:
    service, rec, node = rig
    poll_until(service, lambda: service.doors.is_open("room-412") is False)
    node.set_door(is_open=True)
    poll_until(service, lambda: "door.forced" in rec.types())
    forced = dict(rec.events)["door.forced"]
    assert isinstance(forced, DoorEvent) and forced.door == "room-412"


def test_broken_decision_keeps_the_door_shut(door_node: SimulatedDoorNode) -> None:
    rec = Recorder()

    def broken(card: bytes, door: str, now: datetime, /) -> Decision:
        raise RuntimeError("credential store unreadable")

    service = DoorNodes(SerialBus(open_port(door_node.device)), [NodeConfig(7, "room-412")],
                        decide=broken, emit=rec.emit, now=lambda: datetime.now(UTC))
    poll_until(service, lambda: service.doors.is_open("room-412") is False)  # link up
    mark = door_node.lock.mark()
    door_node.tap(GUEST)
    poll_until(service, lambda: "access.denied" in rec.types())
    denied = dict(rec.events)["access.denied"]
    assert isinstance(denied, AccessDecision) and denied.reason == "decision-error"
    assert door_node.lock.changes[mark:] == []


def test_status_report_becomes_telemetry(rig: Rig) -> None:
    service, rec, _node = rig
    poll_until(service, lambda: bool(rec.readings))
    readings = rec.readings[0]
    assert readings["lock_battery_v"] == 3.7 and readings["link_quality"] == 1.0


def test_remote_unlock_opens_the_lock(rig: Rig) -> None:
    service, _rec, node = rig
    mark = node.lock.mark()
    service.unlock("room-412", seconds=0.2)
    assert node.lock.wait_for(1, timeout=1.0, since=mark)


def test_silent_node_is_reported_offline_once(door_node: SimulatedDoorNode) -> None:
    rec = Recorder()
    service = DoorNodes(
        SerialBus(open_port(door_node.device), reply_timeout_s=0.2, retries=0),
        [NodeConfig(7, "room-412"), NodeConfig(8, "room-413", "413")],
        decide=fixed_policy(rec), emit=rec.emit, now=lambda: datetime.now(UTC),
    )
    for _ in range(6):
        service.poll_once()
    offline = [d for t, d in rec.events if t == "node.offline"]
    assert len(offline) == 1
    assert isinstance(offline[0], NodeOffline) and offline[0].node == 8


def test_cut_off_node_opens_for_a_remembered_card_and_reports_it_later(rig: Rig) -> None:
    service, rec, node = rig
    poll_until(service, lambda: service.doors.is_open("room-412") is False)  # link up
    node.tap(GUEST)
    poll_until(service, lambda: "access.granted" in rec.types())
    assert node.lock.wait_for(0, timeout=1.0)
    cut_off = time.monotonic() + 5  # no polls: the node's link times out (300 ms)
    while node.node.link_up(ticks_ms()):
        assert time.monotonic() < cut_off, "the node still thinks its gateway is there"
        time.sleep(0.01)
    node.tap(GUEST)
    assert node.lock.wait_for(1, timeout=1.0)
    rec.events.clear()
    poll_until(service, lambda: "access.granted" in rec.types())
    local = dict(rec.events)["access.granted"]
    assert isinstance(local, AccessDecision)
    assert (local.kind, local.reason) == ("node-local", "node-allowlist")
    assert len(rec.asked) == 1


class DeadPort:
    """A bus whose USB adapter was pulled out."""

    def transact(self, address: int, kind: int, payload: bytes = b"") -> fr.Frame:
        raise SerialPortError("serial read failed: device reports readiness but no data")

    def broadcast(self, kind: int, payload: bytes = b"") -> None:
        raise SerialPortError("serial write failed: [Errno 5] Input/output error")


def test_dead_port_ends_the_poll_loop_with_a_port_error_for_the_caller_to_reopen() -> None:
    rec = Recorder()
    service = DoorNodes(DeadPort(), [NodeConfig(3, "gym")], decide=fixed_policy(rec),
                        emit=rec.emit, now=lambda: datetime.now(UTC))
    with pytest.raises(SerialPortError):
        service.run(threading.Event())
    assert rec.events == []  # a dead port is not a node going offline


def test_nodes_sharing_one_line_answer_only_for_themselves() -> None:
    bus_sim = SimulatedBus([1, 2, 3], link_timeout_ms=300).start()
    try:
        rec = Recorder()
        bus = SerialBus(open_port(bus_sim.device), reply_timeout_s=0.5)
        doors = [NodeConfig(a, f"room-41{a}", f"41{a}") for a in (1, 2, 3)]
        service = DoorNodes(bus, doors, decide=lambda c, d, n, /: Decision(True, "ok", 300),
                            emit=rec.emit, now=lambda: datetime.now(UTC))
        poll_until(service, lambda: all(service.doors.is_open(d.door) is False for d in doors))
        marks = {a: n.lock.mark() for a, n in bus_sim.nodes.items()}
        bus_sim.nodes[2].tap(GUEST)
        poll_until(service, lambda: "access.granted" in rec.types())
        granted = dict(rec.events)["access.granted"]
        assert isinstance(granted, AccessDecision) and granted.door == "room-412"
        assert bus_sim.nodes[2].lock.wait_for(1, timeout=1.0, since=marks[2])
        assert [bus_sim.nodes[a].lock.changes[marks[a]:] for a in (1, 3)] == [[], []]
        assert bus.counters.stale == 0 and bus.counters.retries == 0
        assert all(s.node.link_up(s.node.last_step) for s in bus_sim.nodes.values())
    finally:
        bus_sim.close()


def test_forget_clears_a_card_from_every_node_allowlist(rig: Rig) -> None:
    service, rec, node = rig
    poll_until(service, lambda: service.doors.is_open("room-412") is False)  # link up
    node.tap(GUEST)
    poll_until(service, lambda: "access.granted" in rec.types())
    assert len(node.node.allowlist) == 1  # granted with remember_s=60
    service.forget(GUEST)
    deadline = time.monotonic() + 2
    while len(node.node.allowlist) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(node.node.allowlist) == 0
