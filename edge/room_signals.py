"""What a room's state machine (``edge.room_state``) is fed: plain facts, each with its time.

Hardware reports door contacts, motion, locks and decided taps; the cloud's commands change the
room's settings; ``Tick`` lets timers run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from edge.access.decision import Decision

Housekeeping = Literal["clean", "dirty", "inspected", "in_progress", "out_of_order"]


@dataclass(frozen=True, slots=True)
class DoorContact:
    open: bool
    at: datetime
    door: str | None = None  # the door node's name for it, when one reported it


@dataclass(frozen=True, slots=True)
class Motion:
    at: datetime


@dataclass(frozen=True, slots=True)
class CardDecided:
    """The gateway's access core decided a tap."""

    decision: Decision
    at: datetime
    door: str | None = None


@dataclass(frozen=True, slots=True)
class NodeDecided:
    """A door node cut off from the gateway decided a tap on its own allowlist."""

    granted: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class RemoteUnlocked:
    """The cloud's ``door.unlock`` opened the lock."""

    command_id: str
    at: datetime
    door: str | None = None


@dataclass(frozen=True, slots=True)
class NodeSilent:
    """The room's door node stopped answering."""

    node: int
    at: datetime
    door: str | None = None


@dataclass(frozen=True, slots=True)
class LockChanged:
    """The lock was released or locked again (a door node's report, or the gateway's relay)."""

    locked: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class NodeFaulted:
    """A door node's reader, card or lock went wrong (``mqtt.messages.NodeFaultKind``)."""

    fault: str
    at: datetime
    node: int | None = None
    door: str | None = None


@dataclass(frozen=True, slots=True)
class Egress:
    """The inside handle or exit button was used: the door opening next is someone leaving."""

    at: datetime
    door: str | None = None


@dataclass(frozen=True, slots=True)
class DndChanged:
    on: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class SettingsChanged:
    """The cloud's ``room.settings``; None leaves a field as it is."""

    at: datetime
    checkout_at: datetime | None = None
    housekeeping: Housekeeping | None = None
    occupied: bool | None = None


@dataclass(frozen=True, slots=True)
class Tick:
    at: datetime


AccessSignal = CardDecided | NodeDecided | RemoteUnlocked
Signal = (DoorContact | Motion | AccessSignal | NodeSilent | LockChanged | NodeFaulted | Egress
          | DndChanged | SettingsChanged | Tick)
