"""A group's guests: importing the rooming list into the block, and checking the group in at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog.models import Property, RatePlan, RoomType
from cloud.core.errors import DomainError
from cloud.core.nights import local_today
from cloud.reservations.errors import RoomingListInvalid, WrongState
from cloud.reservations.groups import rooming_list
from cloud.reservations.groups.models import BlockAllotment, GroupBlock
from cloud.reservations.models import Reservation
from cloud.reservations.sales import booking
from cloud.reservations.sales.booking import Booking
from cloud.reservations.stays import service as stays
from cloud.reservations.stays.credentials import CredentialIssuer


def import_rooming_list(
    session: Session, block: GroupBlock, text: str, *, now: datetime
) -> list[Reservation]:
    """Book every row into the block, or none: bad rows are reported by line and nothing stays."""
    prop, plan = session.get(Property, block.property_id), session.get(RatePlan, block.rate_plan_id)
    assert prop is not None and plan is not None
    codes = frozenset(
        session.scalars(
            select(RoomType.code)
            .join(BlockAllotment, BlockAllotment.room_type_id == RoomType.id)
            .where(BlockAllotment.block_id == block.id)
        )
    )
    rows = rooming_list.parse(text, block=rooming_list.BlockDates(block.arrival, block.departure, codes))
    made: list[Reservation] = []
    errors: list[dict[str, Any]] = []
    for row in rows:
        request = Booking(
            property=prop.slug,
            room_type=row.room_type,
            rate_plan=plan.code,
            arrival=row.arrival,
            departure=row.departure,
            guest_name=row.guest_name,
            adults=row.adults,
            children=row.children,
            guest_email=row.guest_email,
            guest_phone=row.guest_phone,
            notes=row.notes,
            block_id=block.id,
        )
        try:
            with session.begin_nested():
                made.append(booking.book(session, request, now=now))
        except DomainError as exc:
            errors.append({"line": row.line, "field": None, "message": exc.detail})
    if errors:
        raise RoomingListInvalid(
            f"{len(errors)} row(s) could not be booked; nothing was imported", errors=errors
        )
    return made


def check_in_group(
    session: Session, block: GroupBlock, *, issuer: CredentialIssuer, now: datetime
) -> list[str]:
    """Check in and key every room of the group arriving today, all in one transaction or none."""
    prop = session.get(Property, block.property_id)
    assert prop is not None
    today = local_today(now, prop.timezone)
    due = list(
        session.scalars(
            select(Reservation)
            .where(
                Reservation.block_id == block.id,
                Reservation.status == "booked",
                Reservation.arrival <= today,
                Reservation.departure > today,
            )
            .order_by(Reservation.id)
            .with_for_update()
        )
    )
    if not due:
        raise WrongState("no reservation of this group is due to check in today")
    failures = []
    for res in due:
        try:
            with session.begin_nested():
                stays.check_in(session, res, issuer=issuer, now=now)
        except DomainError as exc:
            failures.append({"reservation": res.id, "guest_name": res.guest_name, "message": exc.detail})
    if failures:
        raise WrongState(
            f"{len(failures)} of {len(due)} could not check in; nobody was checked in", failures=failures
        )
    return [res.id for res in due]
