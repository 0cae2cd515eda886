"""What the gateway needs from the access core and the floor's hardware, as ports.

The access core decides from a presented card; the hardware opens locks and reports what
happens at the doors through ``FloorInputs`` (implemented by the gateway).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from edge.clock import TimeReading
from mqtt.envelope import Envelope
from mqtt.messages import Data


@dataclass(frozen=True, slots=True)
class Decision:
    """The access core's answer to a card at a door."""

    granted: bool
    reason: str
    credential_id: str | None = None
    kind: str | None = None  # guest, staff, master, ...
    valid_until: datetime | None = None  # when a granted card stops opening (bounds node memory)


class Decide(Protocol):
    def __call__(self, *, card: bytes, room: str, door: str | None) -> Decision:
        """Decide offline, with the gateway's own clock, whether ``card`` opens ``room``'s door."""
        ...


class Access(Decide, Protocol):
    """Decisions plus the cloud's commands that change what cards open."""

    @property
    def command_types(self) -> tuple[str, ...]: ...

    def apply(self, envelope: Envelope, data: Data) -> None:
        """Apply one access command; raises CommandRejected with the reason."""
        ...


class FloorInputs(Protocol):
    """What the hardware reports; the gateway implements it."""

    def now(self) -> datetime: ...

    def door_contact(self, room: str, *, open: bool) -> None: ...

    def motion(self, room: str) -> None: ...

    def card_presented(self, room: str, card: bytes, *, door: str | None = None) -> bool:
        """Judge a tap and open the lock when granted; True when granted."""
        ...

    def judge_card(self, room: str, card: bytes, *, door: str | None = None) -> Decision:
        """Judge and record a tap; the caller opens the lock (a door node does it itself)."""
        ...

    def decide_card(self, room: str, card: bytes, *, door: str | None = None) -> Decision:
        """Judge a tap without recording it (a door node's answer goes out first)."""
        ...

    def card_decided(self, room: str, decision: Decision, *, at: datetime, door: str | None = None) -> None:
        """Record a tap judged by ``decide_card`` (decided at ``at``), durably."""
        ...

    def access_noted(self, room: str, *, granted: bool, reason: str, kind: str | None = None) -> None:
        """A decision taken elsewhere (a door node on its own allowlist while cut off)."""
        ...

    def lock_changed(self, room: str, *, locked: bool) -> None: ...

    def dnd(self, room: str, *, on: bool) -> None: ...

    def telemetry(self, room: str, readings: dict[str, float | int | bool]) -> None:
        """Sensor readings of a room (lock battery, link quality, ...), sent as samples."""
        ...

    def record(self, type: str, data: Data, *, room: str | None = None) -> object:
        """An event the hardware raised on its own (door.forced, node.offline, tamper)."""
        ...


class DoorHardware(Protocol):
    """Locks, contacts, readers and sensors of a floor (GPIO/serial on a Pi, simulated in the demo)."""

    def start(self, inputs: FloorInputs) -> None: ...

    def unlock(self, *, room: str, door: str | None, seconds: int) -> None: ...

    def stop(self) -> None: ...


class Clock(Protocol):
    """The gateway's time (``edge.timekeeping.GatewayClock``: trusted, never backwards)."""

    def read(self) -> TimeReading: ...
