"""Energy saving from vacancy (pure): a room nobody is in is set back, and restored for its guest.

A room is set back (heating or cooling to the setback setpoint, lights off) once its door has
been closed with nobody in it for ``after``: vacant, or sold but the guest out
(``guest_present`` false, from ``edge.room_state``). A granted card at its door or motion in
it restores comfort at once. The energy saved is estimated from the hours spent set back, the
setback in degrees and the floor's ``kw_per_c`` (what one degree of HVAC costs a room):
``kWh = hours * setback_c * kw_per_c``, summed over every setback (docs/energy.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from edge.room_state import Room


@dataclass(frozen=True, slots=True)
class EnergyPolicy:
    comfort_c: float = 21.0
    setback_c: float = 4.0  # degrees away from comfort while nobody is in
    after: timedelta = timedelta(minutes=20)
    kw_per_c: float = 0.05  # HVAC power per degree held, per room (estimate)

    @property
    def setback_setpoint_c(self) -> float:
        return self.comfort_c - self.setback_c


@dataclass(frozen=True, slots=True)
class RoomEnergy:
    room: str
    setback: bool = False
    since: datetime | None = None  # when the current mode began
    saved_kwh: float = 0.0  # estimated, over every setback so far


@dataclass(frozen=True, slots=True)
class Change:
    """A mode change the room's climate and lights adapters must apply, and report."""

    energy: RoomEnergy
    setpoint_c: float
    lights_on: bool


def wants_setback(room: Room, now: datetime, policy: EnergyPolicy) -> bool:
    """Nobody in, door closed, and no grant, motion or door movement for ``policy.after``."""
    if room.guest_present or room.door != "closed":
        return False
    marks = [t for t in (room.door_changed_at, room.last_motion_at, room.authorised_at) if t is not None]
    return not marks or now - max(marks) >= policy.after


def step(energy: RoomEnergy, room: Room, now: datetime,
         policy: EnergyPolicy) -> tuple[RoomEnergy, Change | None]:
    """The room's energy state at ``now``; a Change when the mode flips."""
    setback = wants_setback(room, now, policy)
    if setback == energy.setback:
        return energy, None
    after = replace(energy, setback=setback, since=now, saved_kwh=saved_until(energy, now, policy))
    setpoint = policy.setback_setpoint_c if setback else policy.comfort_c
    return after, Change(after, setpoint_c=setpoint, lights_on=not setback)


def saved_until(energy: RoomEnergy, now: datetime, policy: EnergyPolicy) -> float:
    """The room's estimated kWh saved, counting the current setback up to ``now``."""
    saved = energy.saved_kwh
    if energy.setback and energy.since is not None:
        hours = max(0.0, (now - energy.since).total_seconds() / 3600)
        saved += hours * policy.setback_c * policy.kw_per_c
    return round(saved, 4)


def settle(energy: RoomEnergy, now: datetime, policy: EnergyPolicy) -> RoomEnergy:
    """The room as the gateway leaves it on a stop: its relays fall back to comfort, and the
    setback held so far is counted in its total."""
    return replace(energy, setback=False, since=None, saved_kwh=saved_until(energy, now, policy))
