"""The gateway's door node service end to end: real firmware on a pty, a fixed policy.

The service reports plain facts (taps decided, doors moved, nodes silent); what they mean for
the room is tested with the room state machine (tests/edge/test_room_state.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from edge.access.decision import Decision, Reason
from edge.hw.door_nodes import (
    NODE_MEMORY_MAX_S,
    DoorChanged,
    DoorNodes,
    Egress,
    LockChanged,
    NodeConfig,
    NodeFact,
    NodeFault,
    NodeSilent,
    Reading,
    TapDecided,
    TapDecidedByNode,
    node_memory_s,
)
from edge.hw.errors import SerialPortError
from edge.hw.serial_bus import SerialBus, open_port
from edge.hw.sim_node import SimulatedBus, SimulatedDoorNode
from firmware.doornode import frame as fr
from firmware.doornode.clock import ticks_ms
from mqtt.keycard import Card, Kind

GUEST = b"guest-0412"
STRANGER = b"stranger-99"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def granted(valid_for: timedelta | None = timedelta(seconds=60)) -> Decision:
    """A grant of a guest card that stays valid ``valid_for`` from now (None: no card known)."""
    if valid_for is None:
        return Decision(True, Reason.GRANTED)
    now = datetime.now(UTC).replace(microsecond=0)
    card = Card(kind=Kind.GUEST, key_id=1, credential_id=0xC1, site=1, issued_at=now - timedelta(hours=1),
                valid_from=now - timedelta(hours=1), valid_until=now + valid_for, rooms=(412,))
    return Decision(True, Reason.GRANTED, "room 412", card)


class Recorder:
    def __init__(self) -> None:
        self.facts: list[NodeFact] = []
        self.readings: list[dict[str, Reading]] = []
        self.asked: list[tuple[bytes, str, datetime]] = []

    def emit(self, fact: NodeFact, /) -> None:
        self.facts.append(fact)

    def telemetry(self, room: str | None, door: str, readings: dict[str, Reading], /) -> None:
        self.readings.append(readings)

    def taps(self) -> list[TapDecided]:
        return [f for f in self.facts if isinstance(f, TapDecided)]

    def door(self, door: str) -> bool | None:
        """The door's last reported state (None before the node's first report)."""
        moves = [f.is_open for f in self.facts if isinstance(f, DoorChanged) and f.node.door == door]
        return moves[-1] if moves else None


def fixed_policy(rec: Recorder) -> Callable[[bytes, str, datetime], Decision]:
    def decide(card: bytes, door: str, now: datetime, /) -> Decision:
        rec.asked.append((card, door, now))
        if card.startswith(b"guest-") and door == "room-412":
            return granted()
        return Decision(False, Reason.MALFORMED)

    return decide


@pytest.fixture
def rig(door_node: SimulatedDoorNode) -> Iterator[tuple[DoorNodes, Recorder, SimulatedDoorNode]]:
    rec = Recorder()
    bus = SerialBus(open_port(door_node.device))
    service = DoorNodes(
        bus, [NodeConfig(7, "room-412", "412")], decide=fixed_policy(rec),
        emit=rec.emit, telemetry=rec.telemetry, now=lambda: datetime.now(UTC), unlock_ms=300,
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


def link_up(service: DoorNodes, rec: Recorder, door: str = "room-412") -> None:
    """The node has reported its door: the link is up."""
    poll_until(service, lambda: rec.door(door) is False)


def test_granted_tap_unlocks_the_door_and_is_reported(rig: Rig) -> None:
    service, rec, node = rig
    link_up(service, rec)
    mark = node.lock.mark()
    node.tap(GUEST)
    poll_until(service, lambda: bool(rec.taps()))
    assert node.lock.wait_for(1, timeout=1.0, since=mark)
    card, door, now = rec.asked[0]
    assert (card, door) == (GUEST, "room-412") and now.tzinfo is not None
    tap = rec.taps()[0]
    assert (tap.node.door, tap.node.room, tap.at) == ("room-412", "412", now)
    assert tap.decision.granted and tap.decision.credential_id == "00000000000000c1"
    assert node.lock.wait_for(0, timeout=1.0)


def test_refused_tap_keeps_the_door_locked(rig: Rig) -> None:
    service, rec, node = rig
    link_up(service, rec)
    mark = node.lock.mark()
    node.tap(STRANGER)
    poll_until(service, lambda: bool(rec.taps()))
    assert rec.asked and rec.asked[0][0] == STRANGER  # the gateway decided, not the node
    assert not rec.taps()[0].decision.granted
    assert not node.lock.wait_for(1, timeout=0.05, since=mark)


def test_door_contacts_are_reported_with_the_node_s_time(rig: Rig) -> None:
    service, rec, node = rig
    link_up(service, rec)
    before = datetime.now(UTC)
    node.set_door(is_open=True)
    poll_until(service, lambda: rec.door("room-412") is True)
    node.set_door(is_open=False)
    poll_until(service, lambda: rec.door("room-412") is False)
    moves = [f for f in rec.facts if isinstance(f, DoorChanged)]
    assert [m.is_open for m in moves] == [False, True, False]
    assert moves[1].at >= before - timedelta(seconds=1) and moves[1].at <= moves[2].at


def test_lock_changes_are_reported_so_the_board_knows_the_lock(rig: Rig) -> None:
    service, rec, node = rig
    link_up(service, rec)
    poll_until(service, lambda: any(isinstance(f, LockChanged) for f in rec.facts))
    node.tap(GUEST)

    def locks() -> list[bool]:
        return [f.locked for f in rec.facts if isinstance(f, LockChanged)]

    poll_until(service, lambda: locks() == [True, False, True])  # boot, released, relocked
    assert not any(f.sensed for f in rec.facts if isinstance(f, LockChanged))  # no sensor here


def test_reader_faults_are_reported_and_open_nothing(rig: Rig) -> None:
    service, rec, node = rig
    link_up(service, rec)
    mark = node.lock.mark()
    node.reader.report_fault(fr.FAULT_CARD_TORN)
    node.reader.report_fault(fr.FAULT_READER_SILENT)

    def faults() -> list[str]:
        return [f.fault for f in rec.facts if isinstance(f, NodeFault)]

    poll_until(service, lambda: faults() == ["card_torn", "reader_silent"])
    assert not node.lock.wait_for(1, timeout=0.05, since=mark) and not rec.asked


def test_inside_handle_is_reported_as_egress(rig: Rig) -> None:
    service, rec, node = rig
    link_up(service, rec)
    node.turn_handle(held=True)
    poll_until(service, lambda: any(isinstance(f, Egress) for f in rec.facts))
    node.turn_handle(held=False)


def test_broken_decision_keeps_the_door_shut(door_node: SimulatedDoorNode) -> None:
    rec = Recorder()

    def broken(card: bytes, door: str, now: datetime, /) -> Decision:
        raise RuntimeError("credential store unreadable")

    service = DoorNodes(SerialBus(open_port(door_node.device)), [NodeConfig(7, "room-412")],
                        decide=broken, emit=rec.emit, now=lambda: datetime.now(UTC))
    link_up(service, rec)
    mark = door_node.lock.mark()
    door_node.tap(GUEST)
    poll_until(service, lambda: bool(rec.taps()))
    assert rec.taps()[0].decision.reason == "decision-error"
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
    silent = [f for f in rec.facts if isinstance(f, NodeSilent)]
    assert [f.node.address for f in silent] == [8]


def test_cut_off_node_opens_for_a_remembered_card_and_reports_it_later(rig: Rig) -> None:
    service, rec, node = rig
    link_up(service, rec)
    node.tap(GUEST)
    poll_until(service, lambda: bool(rec.taps()))
    assert node.lock.wait_for(0, timeout=1.0)
    cut_off = time.monotonic() + 5  # no polls: the node's link times out (300 ms)
    while node.node.link_up(ticks_ms()):
        assert time.monotonic() < cut_off, "the node still thinks its gateway is there"
        time.sleep(0.01)
    node.tap(GUEST)
    assert node.lock.wait_for(1, timeout=1.0)
    rec.facts.clear()
    poll_until(service, lambda: any(isinstance(f, TapDecidedByNode) for f in rec.facts))
    local = [f for f in rec.facts if isinstance(f, TapDecidedByNode)]
    assert len(local) == 1 and local[0].granted and local[0].at <= datetime.now(UTC)
    assert len(rec.asked) == 1 and len(rec.taps()) == 0


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
    assert rec.facts == []  # a dead port is not a node going offline


def test_nodes_sharing_one_line_answer_only_for_themselves() -> None:
    bus_sim = SimulatedBus([1, 2, 3], link_timeout_ms=300).start()
    try:
        rec = Recorder()
        bus = SerialBus(open_port(bus_sim.device), reply_timeout_s=0.5)
        doors = [NodeConfig(a, f"room-41{a}", f"41{a}") for a in (1, 2, 3)]
        service = DoorNodes(bus, doors, decide=lambda c, d, n, /: granted(None),
                            emit=rec.emit, now=lambda: datetime.now(UTC), unlock_ms=300)
        poll_until(service, lambda: all(rec.door(d.door) is False for d in doors))
        marks = {a: n.lock.mark() for a, n in bus_sim.nodes.items()}
        bus_sim.nodes[2].tap(GUEST)
        poll_until(service, lambda: bool(rec.taps()))
        assert rec.taps()[0].node.door == "room-412"
        assert bus_sim.nodes[2].lock.wait_for(1, timeout=1.0, since=marks[2])
        assert [bus_sim.nodes[a].lock.changes[marks[a]:] for a in (1, 3)] == [[], []]
        assert bus.counters.stale == 0 and bus.counters.retries == 0
        assert all(s.node.link_up(s.node.last_step) for s in bus_sim.nodes.values())
    finally:
        bus_sim.close()


def test_forget_clears_a_card_from_every_node_allowlist(rig: Rig) -> None:
    service, rec, node = rig
    link_up(service, rec)
    node.tap(GUEST)
    poll_until(service, lambda: bool(rec.taps()))
    assert len(node.node.allowlist) == 1  # granted for a card valid 60 s more
    service.forget(GUEST)
    deadline = time.monotonic() + 2
    while len(node.node.allowlist) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(node.node.allowlist) == 0


# --- how long a cut-off node may admit a granted card alone (its offline allowlist) ----------


def test_refused_card_is_never_remembered() -> None:
    assert node_memory_s(Decision(False, Reason.EXPIRED), NOW) == 0


def test_granted_card_is_remembered_for_its_remaining_validity() -> None:
    decision = granted(timedelta(minutes=20))
    assert decision.valid_until is not None
    assert node_memory_s(decision, decision.valid_until - timedelta(minutes=20)) == 20 * 60


def test_memory_is_capped_so_a_revocation_reaches_a_cut_off_node_within_hours() -> None:
    decision = granted(timedelta(days=3))
    assert node_memory_s(decision, datetime.now(UTC)) == NODE_MEMORY_MAX_S


def test_card_without_known_validity_is_not_remembered() -> None:
    assert node_memory_s(granted(None), NOW) == 0
