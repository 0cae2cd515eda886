"""What the gateway needs from the access core and the floor's hardware, as ports.

The access core decides from a presented card; the hardware opens locks and reports what
happens at the doors through ``FloorInputs`` (implemented by the gateway).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from mqtt.messages import CredentialRevoke, CredentialUpsert


@dataclass(frozen=True, slots=True)
class Decision:
    """The access core's answer to a card at a door."""

    granted: bool
    reason: str
    credential_id: str | None = None
    kind: str | None = None  # guest, staff, master, ...


class Decide(Protocol):
    def __call__(self, *, card: bytes, room: str, door: str | None, now: datetime) -> Decision:
        """Decide offline whether ``card`` opens ``room``'s door at ``now``."""
        ...


class Credentials(Protocol):
    """The cloud's credential commands, applied to the gateway's access store."""

    def upsert(self, command: CredentialUpsert, *, now: datetime) -> None: ...

    def revoke(self, command: CredentialRevoke, *, now: datetime) -> None: ...


class FloorInputs(Protocol):
    """What the hardware reports; the gateway implements it."""

    def door_contact(self, room: str, *, open: bool) -> None: ...

    def motion(self, room: str) -> None: ...

    def card_presented(self, room: str, card: bytes, *, door: str | None = None) -> bool:
        """True when the door was opened for this card."""
        ...

    def lock_changed(self, room: str, *, locked: bool) -> None: ...

    def dnd(self, room: str, *, on: bool) -> None: ...


class DoorHardware(Protocol):
    """Locks, contacts, readers and sensors of a floor (GPIO/serial on a Pi, simulated in the demo)."""

    def start(self, inputs: FloorInputs) -> None: ...

    def unlock(self, *, room: str, door: str | None, seconds: int) -> None: ...

    def stop(self) -> None: ...


class TimeReading(Protocol):
    @property
    def at(self) -> datetime: ...

    @property
    def offset_s(self) -> float: ...


class Clock(Protocol):
    """The gateway's time (the access core's trusted clock fits this port)."""

    def read(self) -> TimeReading: ...


@dataclass(frozen=True, slots=True)
class Reading:
    at: datetime
    offset_s: float = 0.0


class SystemTime:
    """The operating system clock, trusted as it is."""

    def read(self) -> Reading:
        return Reading(at=datetime.now(UTC))
