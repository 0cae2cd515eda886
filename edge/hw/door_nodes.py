"""The gateway's service for its door nodes: poll the bus, have taps decided, answer the nodes.

It asks an injected `Decide` for every card (the access core plugs in there), answers the
node with a DECISION frame, and reports what happened as plain facts (`TapDecided`,
`TapDecidedByNode`, `DoorChanged`, `LockChanged`, `NodeFault`, `Egress`, `NodeSilent`) and
telemetry (lock battery, link quality).
What the facts mean for the room (access and door events, forced doors) is the room state
machine's business, not this service's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from edge.access.decision import Decision, Reason
from edge.hw.errors import NodeTimeout
from firmware.doornode import frame as fr

log = logging.getLogger(__name__)
IDLE_CYCLE_BYTES = 25  # one POLL (11 bytes) and its HEARTBEAT (14)


def idle_cycle_s(baudrate: int) -> float:
    """Wire time of an idle POLL and HEARTBEAT at ``baudrate`` (8N1): no real line polls faster,
    so a cycle held to it costs a tap nothing (2.2 ms at 115,200 baud, 0.25 ms at 1 Mbaud)."""
    return IDLE_CYCLE_BYTES * 10 / baudrate


MIN_CYCLE_S = idle_cycle_s(115_200)  # a cycle shorter than this is a pty

Reading = float | int | bool
NODE_MEMORY_MAX_S = 4 * 3600


class Decide(Protocol):
    def __call__(self, card: bytes, door: str, now: datetime, /) -> Decision: ...


@dataclass(frozen=True)
class NodeConfig:
    address: int
    door: str
    room: str | None = None


@dataclass(frozen=True)
class TapDecided:
    """A card tapped at the node was decided here, and the node has its answer."""

    node: NodeConfig
    decision: Decision
    at: datetime  # when it was decided


@dataclass(frozen=True)
class TapDecidedByNode:
    """The node, cut off from the gateway, decided a tap on its own allowlist."""

    node: NodeConfig
    granted: bool
    at: datetime  # when the node saw the tap


@dataclass(frozen=True)
class DoorChanged:
    node: NodeConfig
    is_open: bool
    at: datetime  # when the node saw it


@dataclass(frozen=True)
class LockChanged:
    """The node's lock was released or locked again; ``sensed``: the lock's own sensor says so
    (else it is the relay's command)."""

    node: NodeConfig
    locked: bool
    sensed: bool
    at: datetime  # when the node saw it


# The node's FAULT codes as the contract names them (mqtt.messages.NodeFaultKind).
FAULT_NAMES = {
    fr.FAULT_READER_SILENT: "reader_silent",
    fr.FAULT_READER_BACK: "reader_back",
    fr.FAULT_CARD_TORN: "card_torn",
    fr.FAULT_TWO_CARDS: "two_cards",
    fr.FAULT_READER_GARBAGE: "reader_garbage",
    fr.FAULT_CARD_UNREADABLE: "card_unreadable",
    fr.FAULT_LOCK_NO_FEEDBACK: "lock_no_feedback",
}


@dataclass(frozen=True)
class NodeFault:
    """The node's reader, a card or the lock went wrong; the door stayed as it was."""

    node: NodeConfig
    fault: str  # one of FAULT_NAMES' values
    at: datetime


@dataclass(frozen=True)
class Egress:
    """The inside handle or exit button was used at the node's door."""

    node: NodeConfig
    at: datetime


@dataclass(frozen=True)
class NodeSilent:
    """The node missed ``offline_after`` polls in a row (reported once until it answers again)."""

    node: NodeConfig


NodeFact = TapDecided | TapDecidedByNode | DoorChanged | LockChanged | NodeFault | Egress | NodeSilent


class ReportFact(Protocol):
    def __call__(self, fact: NodeFact, /) -> None: ...


class EmitTelemetry(Protocol):
    def __call__(self, room: str | None, door: str, readings: dict[str, Reading], /) -> None: ...


class Bus(Protocol):
    def transact(self, address: int, kind: int, payload: bytes = b"") -> fr.Frame: ...

    def broadcast(self, kind: int, payload: bytes = b"") -> None: ...


def node_memory_s(decision: Decision, now: datetime) -> int:
    """How long a door node may admit a granted card on its own when cut off from the gateway:
    the card's remaining validity, capped, so a revoked card stops working within hours."""
    if not decision.granted or decision.valid_until is None:
        return 0
    remaining = (decision.valid_until - now).total_seconds()
    return max(0, min(int(remaining), NODE_MEMORY_MAX_S))


@dataclass
class _NodeState:
    misses: int = 0
    offline: bool = False
    uptime_s: int = -1
    reboots: int = 0
    outcomes: deque[bool] = field(default_factory=lambda: deque(maxlen=100))
    ack: int = 0  # id of the last event taken from this node
    repeated_events: int = 0
    undelivered: tuple[int, bytes] | None = None  # card event whose DECISION is owed, and it


def _no_telemetry(room: str | None, door: str, readings: dict[str, Reading], /) -> None:
    return None


class DoorNodes:
    def __init__(
        self,
        bus: Bus,
        nodes: Sequence[NodeConfig],
        *,
        decide: Decide,
        emit: ReportFact,
        now: Callable[[], datetime],
        telemetry: EmitTelemetry = _no_telemetry,
        offline_after: int = 3,
        unlock_ms: int = 5000,
    ) -> None:
        self._bus, self._decide, self._emit, self._now = bus, decide, emit, now
        self._telemetry = telemetry
        self._unlock_ms = unlock_ms
        self._nodes = {n.address: n for n in nodes}
        self._by_door = {n.door: n for n in nodes}
        self._state = {n.address: _NodeState() for n in nodes}
        self._offline_after = offline_after
        self.rejected = 0

    def poll_once(self) -> None:
        for node in self._nodes.values():
            self._poll(node)

    def run(self, stop: threading.Event, *, min_cycle_s: float = MIN_CYCLE_S) -> None:
        """Poll until `stop` is set. A dead port raises SerialPortError for the caller to
        reopen (silent nodes never do: they become `node.offline`).

        A cycle starts as soon as the last one ended: each exchange blocks on the port until
        its reply (or its timeout), so on a real line the wire paces the loop and a tap waits
        for at most one cycle, not one cycle plus a sleep that a busy CPU stretches. Only a
        line faster than any UART (a pty, in simulations) is held to ``min_cycle_s``."""
        while not stop.is_set():
            started = time.monotonic()
            self.poll_once()
            rest = min_cycle_s - (time.monotonic() - started)
            if rest > 0:
                stop.wait(rest)

    def unlock(self, door: str, *, seconds: float) -> None:
        """Remote unlock (front desk, cloud command); raises NodeTimeout or KeyError."""
        node = self._by_door[door]
        self._bus.transact(node.address, fr.UNLOCK, fr.encode_unlock(int(seconds * 1000)))

    def forget(self, card: bytes | None = None) -> None:
        """Tell every node to drop a card (or all cards) from its offline allowlist."""
        self._bus.broadcast(fr.FORGET, card or b"")

    def _poll(self, node: NodeConfig) -> None:
        state = self._state[node.address]
        try:
            reply = self._bus.transact(node.address, fr.POLL, fr.encode_poll(state.ack))
        except NodeTimeout:
            self._missed(node, state)
            return
        state.outcomes.append(True)
        if state.offline:
            log.info("door node %d (%s) is back", node.address, node.door)
        state.misses, state.offline = 0, False
        try:
            self._handle(node, state, reply)
        except fr.FrameError as exc:
            self.rejected += 1
            log.warning("door node %d sent a bad %#x reply: %s", node.address, reply.type, exc)

    def _handle(self, node: NodeConfig, state: _NodeState, reply: fr.Frame) -> None:
        if reply.type == fr.HEARTBEAT:
            self._on_heartbeat(node, state, reply.payload)
            return
        if reply.type not in fr.EVENTS:
            raise fr.FrameError(f"unexpected reply type {reply.type:#x} to POLL")
        event_id, body = fr.decode_event(reply.payload)
        if event_id == state.ack:
            state.repeated_events += 1  # our ack has not reached the node yet
            return
        if reply.type == fr.CARD:
            # A tap is taken once the node has its DECISION; until then the node resends it.
            if self._on_card(node, state, event_id, body):
                state.ack = event_id
            return
        state.ack = event_id  # taken, even if its body turns out bad: never a poison loop
        if reply.type == fr.STATUS:
            self._on_status(node, state, body)
        else:
            self._emit(self._fact(node, reply.type, body))

    def _fact(self, node: NodeConfig, kind: int, body: bytes) -> NodeFact:
        """The fact a DOOR, LOCK, FAULT or EGRESS event reports, dated by its age."""
        if kind == fr.DOOR:
            is_open, age_ms = fr.decode_door(body)
            return DoorChanged(node, is_open, self._ago(age_ms))
        if kind == fr.LOCK:
            locked, flags, age_ms = fr.decode_lock(body)
            return LockChanged(node, locked, bool(flags & fr.LOCK_SENSED), self._ago(age_ms))
        if kind == fr.FAULT:
            code, age_ms = fr.decode_fault(body)
            log.warning("door node %d (%s): %s", node.address, node.door, FAULT_NAMES[code])
            return NodeFault(node, FAULT_NAMES[code], self._ago(age_ms))
        return Egress(node, self._ago(fr.decode_egress(body)))

    def _ago(self, age_ms: int) -> datetime:
        return self._now() - timedelta(milliseconds=age_ms)

    def _on_heartbeat(self, node: NodeConfig, state: _NodeState, payload: bytes) -> None:
        uptime_s, _allowed = fr.decode_heartbeat(payload)
        if uptime_s < state.uptime_s:
            state.reboots += 1
            log.warning("door node %d restarted", node.address)
        state.uptime_s = uptime_s

    def _on_card(self, node: NodeConfig, state: _NodeState, event_id: int, body: bytes) -> bool:
        """Judge a tap once; True when nothing more is owed to the node for it."""
        try:
            tap, flags, age_ms, card = fr.decode_card(body)
        except fr.FrameError:
            state.ack = event_id  # a bad tap is refused once, not resent forever
            raise
        owed = state.undelivered
        if owed is not None and owed[0] == event_id:  # the same tap again: decided already
            return self._send_decision(node, state, owed)
        now = self._now()
        if flags & fr.CARD_LOCAL:
            granted = bool(flags & fr.CARD_LOCAL_GRANTED)
            self._emit(TapDecidedByNode(node, granted, now - timedelta(milliseconds=age_ms)))
            return True
        decision = self._decide_safely(card, node.door, now)
        answer = fr.encode_decision(tap, decision.granted, self._unlock_ms,
                                    node_memory_s(decision, now))
        delivered = self._send_decision(node, state, (event_id, answer))
        try:
            self._emit(TapDecided(node, decision, now))  # reported once the node has its answer
        except Exception:
            state.undelivered = None  # not recorded: the node's resent tap is decided and reported afresh
            raise
        return delivered

    def _send_decision(self, node: NodeConfig, state: _NodeState, owed: tuple[int, bytes]) -> bool:
        try:
            self._bus.transact(node.address, fr.DECISION, owed[1])
        except NodeTimeout:
            log.warning("door node %d did not take its decision; sent again next poll",
                        node.address)
            state.undelivered = owed
            return False
        state.undelivered = None
        return True

    def _decide_safely(self, card: bytes, door: str, now: datetime) -> Decision:
        try:
            return self._decide(card, door, now)
        except Exception:  # a broken decision must keep the door shut, not the bus down
            log.exception("access decision failed for door %s", door)
            return Decision(False, Reason.DECISION_ERROR)

    def _on_status(self, node: NodeConfig, state: _NodeState, payload: bytes) -> None:
        battery_mv, rx_errors, duplicates = fr.decode_status(payload)
        readings: dict[str, Reading] = {
            "link_quality": sum(state.outcomes) / len(state.outcomes),
            "link_rx_errors": rx_errors,
            "link_duplicates": duplicates,
        }
        if battery_mv != 0xFFFF:
            readings["lock_battery_v"] = battery_mv / 1000
        self._telemetry(node.room, node.door, readings)

    def _missed(self, node: NodeConfig, state: _NodeState) -> None:
        state.outcomes.append(False)
        state.misses += 1
        if state.misses >= self._offline_after and not state.offline:
            state.offline = True
            self._emit(NodeSilent(node))
