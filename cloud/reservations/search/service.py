"""Finding reservations: by guest name, email, phone, confirmation number or room, status and dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from cloud.catalog.models import Property, Room
from cloud.reservations.errors import InvalidRequest
from cloud.reservations.models import STATUSES, Reservation, RoomAllocation

MAX_QUERY = 100
PAGE = 50


@dataclass(frozen=True)
class Criteria:
    text: str = ""
    status: str = ""
    start: date | None = None  # stays that have a night on or after this day
    end: date | None = None  # stays that arrive on or before this day

    def __post_init__(self) -> None:
        if len(self.text) > MAX_QUERY:
            raise InvalidRequest(f"search text is limited to {MAX_QUERY} characters")
        if self.status and self.status not in STATUSES:
            raise InvalidRequest(f"status must be one of {', '.join(STATUSES)}")
        if self.start and self.end and self.end < self.start:
            raise InvalidRequest("the end of the date range is before its start")


@dataclass(frozen=True)
class Found:
    reservations: list[Reservation]
    more: bool  # more matched than one page holds


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _matching(prop: Property, criteria: Criteria) -> Select[Reservation]:
    query = select(Reservation).where(Reservation.property_id == prop.id)
    text = " ".join(criteria.text.split())
    if text:
        pattern, digits = _like(text), _like(text.replace(" ", ""))
        in_room = exists().where(
            RoomAllocation.reservation_id == Reservation.id,
            Room.id == RoomAllocation.room_id,
            Room.slug == text,
        )
        query = query.where(
            or_(
                func.lower(Reservation.guest_name).like(pattern, escape="\\"),
                func.lower(Reservation.guest_email).like(pattern, escape="\\"),
                func.replace(Reservation.guest_phone, " ", "").like(digits, escape="\\"),
                Reservation.id == text.upper(),
                in_room,
            )
        )
    if criteria.status:
        query = query.where(Reservation.status == criteria.status)
    if criteria.start:
        query = query.where(Reservation.departure > criteria.start)
    if criteria.end:
        query = query.where(Reservation.arrival <= criteria.end)
    return query


def search(session: Session, prop: Property, criteria: Criteria, *, limit: int = PAGE) -> Found:
    """Most recent arrivals first; at most ``limit`` of them."""
    rows = list(
        session.scalars(
            _matching(prop, criteria)
            .order_by(Reservation.arrival.desc(), Reservation.guest_name, Reservation.id)
            .limit(limit + 1)
        )
    )
    return Found(rows[:limit], more=len(rows) > limit)
