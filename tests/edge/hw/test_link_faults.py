"""Whatever the line does to frames, every tap is decided once and unlocks once.

Gateway (SerialBus + DoorNodes) and door node firmware talk over an in-memory line that
drops, corrupts, duplicates and delays frames in both directions as hypothesis chooses,
then behaves (a line that never delivers can deliver nothing).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.access.decision import Decision, Reason
from edge.hw.door_nodes import DoorNodes, NodeConfig, NodeFact, TapDecided
from edge.hw.serial_bus import SerialBus
from firmware.doornode.node import DoorNode

FAULTS = ["ok", "ok", "drop", "corrupt", "dup", "late"]


class FakeUart:
    def __init__(self) -> None:
        self.rx = b""
        self.tx: list[bytes] = []

    def any(self) -> int:
        return len(self.rx)

    def read(self, size: int) -> bytes:
        data, self.rx = self.rx[:size], self.rx[size:]
        return data

    def write(self, data: bytes) -> int:
        self.tx.append(bytes(data))
        return len(data)


class Pin:
    def __init__(self) -> None:
        self.level = 0
        self.writes: list[int] = []

    def value(self, level: int | None = None) -> int:
        if level is not None:
            self.level = level
            self.writes.append(level)
        return self.level


class Reader:
    """Cards presented one after another: the next once the node has its last decision."""

    def __init__(self, cards: list[bytes]) -> None:
        self.cards = list(cards)
        self.node: DoorNode | None = None

    def read(self) -> bytes | None:
        waiting = self.node is None or self.node.pending is not None
        return None if waiting or not self.cards else self.cards.pop(0)


class FaultyLine:
    """The gateway's serial port; the node on the far end runs a step per frame sent."""

    def __init__(self, node: DoorNode, uart: FakeUart, faults: list[str]) -> None:
        self.node, self.uart, self.faults = node, uart, list(faults)
        self.rx = b""
        self.late = b""
        self.now_ms = 0

    def _damage(self, data: bytes) -> bytes:
        fault = self.faults.pop(0) if self.faults else "ok"
        if fault == "drop":
            return b""
        if fault == "corrupt":
            middle = len(data) // 2
            return data[:middle] + bytes([data[middle] ^ 0x10]) + data[middle + 1 :]
        if fault == "dup":
            return data + data
        if fault == "late":
            self.late += data
            return b""
        return data

    def write(self, data: bytes, /) -> int:
        self.uart.rx += self._damage(data)
        self.now_ms += 1
        self.node.step(self.now_ms)
        reply = b"".join(self.uart.tx)
        self.uart.tx.clear()
        self.rx += self.late
        self.late = b""
        self.rx += self._damage(reply) if reply else b""
        return len(data)

    @property
    def in_waiting(self) -> int:
        return len(self.rx)

    def read(self, size: int = 1) -> bytes:
        data, self.rx = self.rx[:size], self.rx[size:]
        return data


class StepClock:
    """Each look at the clock is 10 ms later, so a silent line times out at once."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        self.t += 0.01
        return self.t


class Rig:
    """A node and the gateway's side of the link; the gateway can be restarted."""

    def __init__(self, cards: list[bytes], faults: list[str]) -> None:
        self.uart, self.lock, self.reader = FakeUart(), Pin(), Reader(cards)
        self.node = DoorNode(self.uart, self.lock, Pin(), self.reader, 5,
                             decision_timeout_ms=10**6, link_timeout_ms=10**6, reread_ms=0,
                             queue_size=16, status_every_ms=10**6)
        self.node.last_cmd = 0  # the gateway has been heard: taps wait for its decision
        self.reader.node = self.node
        self.line = FaultyLine(self.node, self.uart, faults)
        self.asked: list[bytes] = []
        self.events: list[str] = []
        self.service = self.start_gateway()

    def start_gateway(self) -> DoorNodes:
        """A gateway from scratch: seq 0 first, nothing acknowledged yet."""
        bus = SerialBus(self.line, reply_timeout_s=0.05, retries=2, clock=StepClock())
        return DoorNodes(bus, [NodeConfig(5, "room-1")], decide=self.decide, emit=self.emit,
                         now=lambda: datetime.now(UTC), offline_after=10**6, unlock_ms=1)

    def decide(self, card: bytes, door: str, now: datetime, /) -> Decision:
        self.asked.append(card)
        return Decision(True, Reason.GRANTED)

    def emit(self, fact: NodeFact, /) -> None:
        if isinstance(fact, TapDecided):
            self.events.append("granted" if fact.decision.granted else "denied")

    def settled(self) -> bool:
        return not self.reader.cards and not self.node.queue and self.node.pending is None


@settings(max_examples=150, deadline=None)
@given(
    cards=st.lists(st.binary(min_size=1, max_size=6), min_size=1, max_size=5, unique=True),
    faults=st.lists(st.sampled_from(FAULTS), max_size=80),
)
def test_every_tap_is_decided_once_and_unlocks_once(cards: list[bytes], faults: list[str]) -> None:
    rig = Rig(cards, faults)
    for _ in range(400):
        rig.service.poll_once()
        if rig.settled():
            break
    assert rig.asked == cards
    assert rig.events.count("granted") == len(cards)
    assert rig.lock.writes.count(1) == len(cards)


@settings(max_examples=100, deadline=None)
@given(
    cards=st.lists(st.binary(min_size=1, max_size=6), min_size=1, max_size=5, unique=True),
    faults=st.lists(st.sampled_from(FAULTS), max_size=40),
    restarts=st.lists(st.integers(0, 30), max_size=3),
)
@pytest.mark.slow
def test_a_gateway_restart_loses_no_tap(
    cards: list[bytes], faults: list[str], restarts: list[int]
) -> None:
    rig = Rig(cards, faults)
    for poll in range(400):
        if poll in restarts:
            rig.service = rig.start_gateway()
        rig.service.poll_once()
        if rig.settled() and poll > max(restarts, default=0):
            break
    assert rig.settled()
    # Each tap judged, in order; one in flight at a restart may be judged once more.
    assert [c for i, c in enumerate(rig.asked) if i == 0 or rig.asked[i - 1] != c] == cards
    assert len(rig.asked) <= len(cards) + len(restarts)
