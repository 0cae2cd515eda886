"""Finding reservations: by guest name, email, phone, confirmation number or room, status and dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, Text, and_, exists, or_, select, type_coerce
from sqlalchemy.orm import Session

from cloud.catalog.models import Property, Room
from cloud.guests.crypto import BlindIndex
from cloud.guests.sealed import query_hashes, session_vault
from cloud.reservations.errors import InvalidRequest
from cloud.reservations.models import STATUSES, Reservation, RoomAllocation

MAX_QUERY = 100
PAGE = 50
MIN_PHONE_DIGITS = 6  # fewer digits are not searched as a phone number


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


def _guest_matches(index: BlindIndex, text: str) -> list[ColumnElement[bool]]:
    """Names, e-mails and phones are sealed: match their blind indexes (see docs/security.md)."""
    found: list[ColumnElement[bool]] = []
    words = query_hashes(index, text)
    if words:
        column = type_coerce(Reservation.guest_name_words, Text)
        found.append(and_(*(column.like(f"% {h} %") for h in words)))
    if "@" in text:
        found.append(Reservation.guest_email_bidx == text)
    elif sum(c.isdigit() for c in text) >= MIN_PHONE_DIGITS:
        found.append(Reservation.guest_phone_bidx == text)
    return found


def _matching(prop: Property, criteria: Criteria, index: BlindIndex) -> Select[Reservation]:
    query = select(Reservation).where(Reservation.property_id == prop.id)
    text = " ".join(criteria.text.split())
    if text:
        in_room = exists().where(
            RoomAllocation.reservation_id == Reservation.id,
            Room.id == RoomAllocation.room_id,
            Room.slug == text,
        )
        query = query.where(
            or_(
                *_guest_matches(index, text),
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
            _matching(prop, criteria, session_vault(session).index)
            .order_by(Reservation.arrival.desc(), Reservation.id)
            .limit(limit + 1)
        )
    )
    return Found(rows[:limit], more=len(rows) > limit)
