"""The room state machine: pure, fed by door contacts, motion, access decisions, locks and commands.

``apply(room, signal, policy)`` returns the next room and the events it caused; no I/O, no clock.
It is the one producer of the door and access events: hardware reports facts (a door moved, a
tap was decided, a node went silent) and this turns them into the contract's events.
After checkout (the desk's ``occupied=False`` or the checkout time passing) a room whose door
stays closed with no motion for ``vacancy_quiet`` is vacated and turns dirty.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from edge.room_signals import (
    AccessSignal,
    CardDecided,
    DndChanged,
    DoorContact,
    Egress,
    Housekeeping,
    LockChanged,
    Motion,
    NodeDecided,
    NodeFaulted,
    NodeSilent,
    RemoteUnlocked,
    SettingsChanged,
    Signal,
    Tick,
)
from mqtt.messages import (
    AccessDecision,
    Data,
    DoorEvent,
    LastAccess,
    NodeFault,
    NodeOffline,
    Occupancy,
    RoomState,
    RoomVacated,
)

Door = Literal["open", "closed", "unknown"]
Lock = Literal["locked", "unlocked", "unknown"]


@dataclass(frozen=True, slots=True)
class Policy:
    vacancy_quiet: timedelta = timedelta(minutes=15)
    absence_quiet: timedelta = timedelta(minutes=30)
    ajar_after: timedelta = timedelta(minutes=2)
    # A door that opens with no grant within this window before it is forced; None where the
    # doors are not supervised (a simulated floor, whose guests walk out with no unlock).
    forced_window: timedelta | None = None


CLOCK_SLACK = timedelta(seconds=1)  # a door node's times are estimates (its report's age)


@dataclass(frozen=True, slots=True)
class Emitted:
    """An event the room produced: contract type and its data model."""

    type: str
    data: Data


# --- the room --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Room:
    room: str
    occupied: bool = False
    guest_present: bool = False
    door: Door = "unknown"
    lock: Lock = "unknown"
    dnd: bool = False
    housekeeping: Housekeeping = "clean"
    checkout_at: datetime | None = None
    checked_out: bool = False  # the stay ended; waiting to see the room empty
    door_changed_at: datetime | None = None
    last_motion_at: datetime | None = None
    ajar_reported: bool = False
    last_access: LastAccess | None = field(default=None)
    authorised_at: datetime | None = None  # the last grant (card, node or remote)
    updated_at: datetime | None = None

    def snapshot(self) -> RoomState:
        return RoomState(
            room=self.room, occupied=self.occupied, guest_present=self.guest_present, door=self.door,
            lock=self.lock, dnd=self.dnd, housekeeping=self.housekeeping, last_access=self.last_access,
            updated_at=self.updated_at,
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, datetime):
                out[key] = value.isoformat()
        out["last_access"] = self.last_access.model_dump(mode="json") if self.last_access else None
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Room:
        values = dict(raw)
        for key in ("checkout_at", "door_changed_at", "last_motion_at", "authorised_at", "updated_at"):
            if values.get(key):
                values[key] = datetime.fromisoformat(values[key])
        if values.get("last_access"):
            values["last_access"] = LastAccess.model_validate(values["last_access"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Step:
    room: Room
    events: tuple[Emitted, ...] = ()

    def changed_from(self, before: Room) -> bool:
        """True when the published snapshot differs (timestamps aside)."""
        return _visible(before) != _visible(self.room)


def _visible(room: Room) -> RoomState:
    return room.snapshot().model_copy(update={"updated_at": None})


def apply(room: Room, signal: Signal, policy: Policy) -> Step:
    """The next state of ``room`` after ``signal``, and the events it caused."""
    match signal:
        case DoorContact():
            step = _door(room, signal, policy)
        case Motion():
            step = _motion(room, signal)
        case CardDecided() | NodeDecided() | RemoteUnlocked():
            step = _access(room, signal)
        case NodeSilent():
            lost = NodeOffline(room=room.room, door=signal.door, node=signal.node)
            step = Step(room, (Emitted("node.offline", lost),))
        case LockChanged():
            step = Step(replace(room, lock="locked" if signal.locked else "unlocked"))
        case NodeFaulted():
            fault = NodeFault.model_validate({"room": room.room, "door": signal.door,
                                              "node": signal.node, "fault": signal.fault})
            step = Step(room, (Emitted("node.fault", fault),))
        case Egress():
            step = Step(_authorise(room, signal.at))
        case DndChanged():
            step = Step(replace(room, dnd=signal.on))
        case SettingsChanged():
            step = _settings(room, signal)
        case Tick():
            step = _tick(room, signal.at, policy)
    if step.changed_from(room):
        step = Step(replace(step.room, updated_at=signal.at), step.events)
    return step


def _door(room: Room, signal: DoorContact, policy: Policy) -> Step:
    if room.door_changed_at is not None and signal.at < room.door_changed_at:
        return Step(room)  # older than what is known: never rewind
    state: Door = "open" if signal.open else "closed"
    if room.door == state:
        return Step(room)
    moved = replace(room, door=state, door_changed_at=signal.at, ajar_reported=False)
    if signal.open:
        opened = Emitted("door.opened", DoorEvent(room=room.room))
        if room.door == "unknown" or not _forced(room, signal.at, policy):
            return Step(moved, (opened,))
        return Step(moved, (opened, Emitted("door.forced", DoorEvent(room=room.room, door=signal.door))))
    seconds = _seconds_since(room.door_changed_at, signal.at) if room.door == "open" else None
    return Step(moved, (Emitted("door.closed", DoorEvent(room=room.room, seconds_open=seconds)),))


def _forced(room: Room, opened_at: datetime, policy: Policy) -> bool:
    """Opened with no grant shortly before, on a floor whose doors are supervised."""
    if policy.forced_window is None:
        return False
    grant = room.authorised_at
    return grant is None or not -CLOCK_SLACK <= opened_at - grant <= policy.forced_window


def _motion(room: Room, signal: Motion) -> Step:
    moved = replace(room, last_motion_at=signal.at)
    if room.guest_present:
        return Step(moved)
    present = replace(moved, guest_present=True)
    return Step(present, (_occupancy(present),))


def _access(room: Room, signal: AccessSignal) -> Step:
    match signal:
        case CardDecided(decision=decision):
            granted, reason = decision.granted, str(decision.reason)
            credential_id, kind, door = decision.credential_id, decision.kind, signal.door
        case NodeDecided(granted=granted):
            reason = "node-allowlist" if granted else "node-offline"
            credential_id, kind, door = None, "node-local", None
        case RemoteUnlocked():
            granted, reason, kind = True, "remote", "remote"
            credential_id, door = signal.command_id, signal.door
    last = LastAccess(at=signal.at, granted=granted, credential_id=credential_id, reason=reason[:64])
    data = AccessDecision(room=room.room, door=door, granted=granted, reason=reason[:64],
                          credential_id=credential_id, kind=kind)
    event = Emitted("access.granted" if granted else "access.denied", data)
    authorised = _authorise(room, signal.at) if granted else room
    return Step(replace(authorised, last_access=last), (event,))


def _authorise(room: Room, at: datetime) -> Room:
    """A grant or someone leaving by the inside handle: the door may open without being forced."""
    if room.authorised_at is None or at > room.authorised_at:
        return replace(room, authorised_at=at)
    return room


def _settings(room: Room, signal: SettingsChanged) -> Step:
    new = room
    if signal.housekeeping is not None:
        new = replace(new, housekeeping=signal.housekeeping)
    if signal.checkout_at is not None:
        new = replace(new, checkout_at=signal.checkout_at)
    if signal.occupied is True:
        new = replace(new, occupied=True, checked_out=False)
    elif signal.occupied is False and room.occupied:
        new = replace(new, occupied=False, checked_out=True, checkout_at=None)
    return Step(new)


def _tick(room: Room, now: datetime, policy: Policy) -> Step:
    if room.door == "open" and not room.ajar_reported:
        seconds = _seconds_since(room.door_changed_at, now)
        if seconds is not None and seconds >= policy.ajar_after.total_seconds():
            event = Emitted("door.ajar", DoorEvent(room=room.room, seconds_open=seconds))
            return Step(replace(room, ajar_reported=True), (event,))
    if _vacancy_due(room, now) and _quiet_for(room, now) >= policy.vacancy_quiet:
        reason = "checkout" if room.checked_out else "checkout_time"
        vacated = replace(room, occupied=False, guest_present=False, checked_out=False, checkout_at=None,
                          dnd=False, housekeeping="dirty")
        return Step(vacated, (Emitted("room.vacated", RoomVacated(room=room.room, reason=reason)),))
    if room.guest_present and _quiet_for(room, now) >= policy.absence_quiet:
        absent = replace(room, guest_present=False)
        return Step(absent, (_occupancy(absent),))
    return Step(room)


def _vacancy_due(room: Room, now: datetime) -> bool:
    at_checkout = room.occupied and room.checkout_at is not None and now >= room.checkout_at
    return room.checked_out or at_checkout


def _quiet_for(room: Room, now: datetime) -> timedelta:
    """How long the door has been closed with no motion (zero unless the door is known closed)."""
    if room.door != "closed":
        return timedelta(0)
    marks = [t for t in (room.door_changed_at, room.last_motion_at) if t is not None]
    if not marks:
        return timedelta.max
    return max(timedelta(0), now - max(marks))


def _seconds_since(start: datetime | None, now: datetime) -> float | None:
    return None if start is None else max(0.0, (now - start).total_seconds())


def _occupancy(room: Room) -> Emitted:
    return Emitted("room.occupancy", Occupancy(room=room.room, occupied=room.occupied,
                                               guest_present=room.guest_present))
