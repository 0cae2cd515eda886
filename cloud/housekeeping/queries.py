"""The housekeeping board's read model: rooms by floor, their cleaning state, today's moves.

Room numbers only: nothing here reads a guest's name or contact, so the board can be shown
to housekeeping staff as it is.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.board.models import RoomStatus
from cloud.catalog.models import Floor, Property, Room
from cloud.core.nights import local_today
from cloud.housekeeping.models import HousekeepingRequest
from cloud.reservations.models import HOLDING, OCCUPYING, Reservation, RoomAllocation
from cloud.telemetry.alerts.rules import utc

RoomKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class HkRoom:
    site: str
    floor: str
    room: str
    housekeeping: str  # what the gateway last reported
    pending: str | None  # a state asked for and not yet reported
    pending_at: datetime | None
    occupied: bool
    guest_present: bool
    dnd: bool
    arrival_today: bool
    departure_today: bool

    @property
    def state(self) -> str:
        """The state staff act on: the one asked for while it is on its way."""
        return self.pending or self.housekeeping

    @property
    def key(self) -> str:
        return f"{self.site}-{self.floor}-{self.room}"


@dataclass(slots=True)
class HkFloor:
    site: str
    floor: str
    rooms: list[HkRoom] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(1 for r in self.rooms if r.state == state)


def is_pending(request: HousekeepingRequest | None, status: RoomStatus) -> bool:
    """Asked for after the gateway's latest snapshot, and not what the snapshot says."""
    if request is None or request.state == status.housekeeping:
        return False
    return status.updated_at is None or utc(request.requested_at) > utc(status.updated_at)


def room(session: Session, *, site: str, floor: str, room: str) -> HkRoom | None:
    rooms = _rooms(session, sites=[site], only=(site, floor, room), now=None)
    return rooms[0] if rooms else None


def floors(session: Session, *, sites: Collection[str], now: datetime) -> list[HkFloor]:
    """Every reported room of ``sites``, grouped by floor; floors and rooms in the order people
    count them (f2 before f10, room 99 before 100)."""
    out: dict[tuple[str, str], HkFloor] = {}
    for r in sorted(_rooms(session, sites=sites, only=None, now=now),
                    key=lambda r: (r.site, natural(r.floor), natural(r.room))):
        out.setdefault((r.site, r.floor), HkFloor(r.site, r.floor)).rooms.append(r)
    return list(out.values())


def natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that compares runs of digits as numbers: "f2" < "f10"."""
    return tuple((0, int(part)) if part.isdigit() else (1, part)
                 for part in re.split(r"(\d+)", text) if part)


def _rooms(session: Session, *, sites: Collection[str], only: RoomKey | None,
           now: datetime | None) -> list[HkRoom]:
    query = select(RoomStatus).where(RoomStatus.site.in_(sites))
    if only is not None:
        query = query.where(RoomStatus.site == only[0], RoomStatus.floor == only[1],
                            RoomStatus.room == only[2])
    statuses = list(session.scalars(query.order_by(RoomStatus.site, RoomStatus.floor, RoomStatus.room)))
    if not statuses:
        return []
    requests = {(q.site, q.floor, q.room): q for q in session.scalars(
        select(HousekeepingRequest).where(HousekeepingRequest.site.in_(sites)))}
    arriving, departing = _moves_today(session, sites=sites, now=now) if now else (set(), set())
    out = []
    for s in statuses:
        key = (s.site, s.floor, s.room)
        request = requests.get(key)
        pending = request if is_pending(request, s) else None
        out.append(HkRoom(
            site=s.site, floor=s.floor, room=s.room, housekeeping=s.housekeeping,
            pending=pending.state if pending else None,
            pending_at=utc(pending.requested_at) if pending else None,
            occupied=s.occupied, guest_present=s.guest_present, dnd=s.dnd,
            arrival_today=key in arriving, departure_today=key in departing))
    return out


def _moves_today(session: Session, *, sites: Collection[str],
                 now: datetime) -> tuple[set[RoomKey], set[RoomKey]]:
    """Rooms with an arrival and with a departure on each property's own today."""
    arriving: set[RoomKey] = set()
    departing: set[RoomKey] = set()
    for prop in session.scalars(select(Property).where(Property.slug.in_(sites))):
        today = local_today(now, prop.timezone)
        rows = session.execute(
            select(Floor.slug, Room.slug, Reservation.arrival, Reservation.departure, Reservation.status,
                   RoomAllocation.start_night, RoomAllocation.end_night)
            .join(Room, Room.id == RoomAllocation.room_id).join(Floor, Floor.id == Room.floor_id)
            .join(Reservation, Reservation.id == RoomAllocation.reservation_id)
            .where(Room.property_id == prop.id, RoomAllocation.kind == "stay",
                   (RoomAllocation.start_night == today) | (RoomAllocation.end_night == today)))
        for floor_slug, room_slug, arrival, departure, status, start, end in rows:
            key = (prop.slug, floor_slug, room_slug)
            if start == today == arrival and status in HOLDING:
                arriving.add(key)
            if end == today == departure and status in OCCUPYING:
                departing.add(key)
    return arriving, departing
