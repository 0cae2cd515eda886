"""What the gateway needs from the access core and the floor's hardware, as ports.

The access core decides from a presented card (``edge.access.decision.Decision``, the one
answer to a tap); the hardware opens locks and reports plain facts about the doors through
``FloorInputs`` (implemented by the gateway, which feeds them to the room state machine).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from edge.access.decision import Decision
from edge.clock import TimeReading
from mqtt.envelope import Envelope
from mqtt.messages import Data


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

    def facility(self, *, card: bytes, door: str) -> Decision:
        """Decide offline whether ``card`` opens a common area or floor reader named ``door``."""
        ...


class FloorInputs(Protocol):
    """The facts hardware reports; the gateway implements it. ``at`` defaults to the gateway's now."""

    def now(self) -> datetime: ...

    def door_contact(self, room: str, *, open: bool, at: datetime | None = None,
                     door: str | None = None) -> None: ...

    def motion(self, room: str) -> None: ...

    def card_presented(self, room: str, card: bytes, *, door: str | None = None) -> bool:
        """Decide a tap, record it and open the lock when granted; True when granted."""
        ...

    def decide_card(self, room: str, card: bytes, *, door: str | None = None) -> Decision:
        """Decide a tap without recording it (a door node's answer goes out first)."""
        ...

    def card_decided(self, room: str, decision: Decision, *, at: datetime, door: str | None = None) -> None:
        """Record a tap decided by ``decide_card`` (decided at ``at``), durably."""
        ...

    def node_decided(self, room: str, *, granted: bool, at: datetime | None = None) -> None:
        """A door node cut off from the gateway decided a tap on its own allowlist."""
        ...

    def node_silent(self, room: str, *, node: int, door: str | None = None) -> None:
        """The room's door node stopped answering."""
        ...

    def lock_changed(self, room: str, *, locked: bool, at: datetime | None = None) -> None: ...

    def node_fault(self, room: str, *, fault: str, node: int | None = None, door: str | None = None,
                   at: datetime | None = None) -> None:
        """A door's reader, card or lock went wrong (``mqtt.messages.NodeFaultKind``)."""
        ...

    def egress(self, room: str, *, at: datetime | None = None, door: str | None = None) -> None:
        """The inside handle or exit button was used (the door opening next is not forced)."""
        ...

    def decide_facility(self, door: str, card: bytes) -> Decision:
        """Decide a tap at a common area or floor reader, without recording it."""
        ...

    def facility_decided(self, door: str, decision: Decision, *, at: datetime) -> None:
        """Record a facility tap decided by ``decide_facility``: its access event, durably."""
        ...

    def facility_trouble(self, door: str, *, node: int, fault: str | None) -> None:
        """A facility door's node went silent (``fault`` None) or reported a fault."""
        ...

    def dnd(self, room: str, *, on: bool) -> None: ...

    def telemetry(self, room: str, readings: dict[str, float | int | bool]) -> None:
        """Sensor readings of a room (lock battery, link quality, ...), sent as samples."""
        ...


class DoorHardware(Protocol):
    """Locks, contacts, readers and sensors of a floor (GPIO/serial on a Pi, simulated in the demo)."""

    # True when a door opens only once its lock is released, so an opening with no grant
    # shortly before is forced (door nodes); a simulated floor's guests walk out unchecked.
    watches_forced_entry: bool

    def start(self, inputs: FloorInputs) -> None: ...

    def unlock(self, *, room: str, door: str | None, seconds: int) -> None: ...

    def stop(self) -> None: ...


class Clock(Protocol):
    """The gateway's time (``edge.timekeeping.GatewayClock``: trusted, never backwards)."""

    def read(self) -> TimeReading: ...
