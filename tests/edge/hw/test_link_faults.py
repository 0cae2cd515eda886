"""Whatever the line does to frames, every tap is decided once and unlocks once.

Gateway (SerialBus + DoorNodes) and door node firmware talk over an in-memory line that
drops, corrupts, duplicates and delays frames in both directions as hypothesis chooses,
then behaves (a line that never delivers can deliver nothing).
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.hw.door_nodes import Decision, DoorNodes, NodeConfig
from edge.hw.serial_bus import SerialBus
from firmware.doornode.node import DoorNode
from mqtt.messages import Data

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


@settings(max_examples=150, deadline=None)
@given(
    cards=st.lists(st.binary(min_size=1, max_size=6), min_size=1, max_size=5, unique=True),
    faults=st.lists(st.sampled_from(FAULTS), max_size=80),
)
def test_every_tap_is_decided_once_and_unlocks_once(cards: list[bytes], faults: list[str]) -> None:
    uart, lock, reader = FakeUart(), Pin(), Reader(cards)
    node = DoorNode(uart, lock, Pin(), reader, 5, decision_timeout_ms=10**6,
                    link_timeout_ms=10**6, reread_ms=0, queue_size=16, status_every_ms=10**6)
    node.last_cmd = 0  # the gateway has been heard: taps wait for its decision
    reader.node = node
    asked: list[bytes] = []
    events: list[str] = []

    def decide(card: bytes, door: str, now: datetime, /) -> Decision:
        asked.append(card)
        return Decision(True, "guest", unlock_ms=1)

    def emit(event_type: str, data: Data, /) -> None:
        events.append(event_type)

    bus = SerialBus(FaultyLine(node, uart, faults), reply_timeout_s=0.05, retries=2,
                    clock=StepClock())
    service = DoorNodes(bus, [NodeConfig(5, "room-1")], decide=decide, emit=emit,
                        now=lambda: datetime.now(UTC), offline_after=10**6)
    for _ in range(400):
        service.poll_once()
        if not reader.cards and not node.queue and node.pending is None:
            break
    assert asked == cards
    assert events.count("access.granted") == len(cards)
    assert lock.writes.count(1) == len(cards)
