"""Read model of the energy saved by vacancy setback, per room and per floor.

Each gateway keeps a room's running total (``edge.energy``: hours set back x degrees set back x
the floor's HVAC power per degree) across restarts, and every ``room.setback`` event carries it.
So a room's saving is the total in its latest ``room.setback`` event, and a floor's the sum of its
rooms'. Rooms and events only: no guest data.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from cloud.board.models import EventRecord

SETBACK = "room.setback"


@dataclass(frozen=True, slots=True)
class RoomSaving:
    site: str
    floor: str
    room: str
    saved_kwh: float
    set_back: bool  # set back now (as of the latest event)
    setpoint_c: float | None
    since: datetime


@dataclass(slots=True)
class FloorSaving:
    site: str
    floor: str
    rooms: list[RoomSaving] = field(default_factory=list)

    @property
    def saved_kwh(self) -> float:
        return round(sum(r.saved_kwh for r in self.rooms), 3)

    @property
    def set_back_now(self) -> int:
        return sum(1 for r in self.rooms if r.set_back)


def _latest(session: Session, *where: ColumnElement[bool]) -> list[RoomSaving]:
    """The latest stored ``room.setback`` event of every room matching ``where``."""
    conditions = (EventRecord.type == SETBACK, EventRecord.dead_letter.is_(None), *where)
    last = (
        select(EventRecord.site, EventRecord.floor, EventRecord.room, func.max(EventRecord.ts).label("ts"))
        .where(*conditions)
        .group_by(EventRecord.site, EventRecord.floor, EventRecord.room)
        .subquery()
    )
    rows = session.scalars(
        select(EventRecord)
        .join(
            last,
            and_(
                EventRecord.site == last.c.site,
                EventRecord.floor == last.c.floor,
                EventRecord.room == last.c.room,
                EventRecord.ts == last.c.ts,
            ),
        )
        .where(*conditions)
        .order_by(EventRecord.seq)
    )
    found: dict[tuple[str, str, str], RoomSaving] = {}
    for event in rows:  # events of one instant: the later seq wins
        data = event.data or {}
        key = (event.site, event.floor, event.room or "")
        found[key] = RoomSaving(
            *key,
            saved_kwh=float(data.get("saved_kwh") or 0.0),
            set_back=bool(data.get("setback")),
            setpoint_c=data.get("setpoint_c"),
            since=event.ts,
        )
    return [found[k] for k in sorted(found)]


def floor_savings(session: Session, *, sites: Collection[str]) -> list[FloorSaving]:
    """Every floor of ``sites`` whose rooms were ever set back, its rooms in order."""
    if not sites:
        return []
    floors: dict[tuple[str, str], FloorSaving] = {}
    for saving in _latest(session, EventRecord.site.in_(sites)):
        floors.setdefault((saving.site, saving.floor), FloorSaving(saving.site, saving.floor)).rooms.append(
            saving
        )
    return [floors[k] for k in sorted(floors)]


def room_saving(session: Session, *, site: str, floor: str, room: str) -> RoomSaving | None:
    found = _latest(session, EventRecord.site == site, EventRecord.floor == floor, EventRecord.room == room)
    return found[0] if found else None
