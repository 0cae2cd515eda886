"""Turning reservations and blocks into API bodies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from cloud.catalog.models import Floor, Property, RatePlan, Room, RoomType
from cloud.core import plain_inserts
from cloud.reservations.groups.models import BlockAllotment, GroupBlock
from cloud.reservations.models import Reservation, ReservationNight, RoomAllocation
from cloud.reservations.schemas import (
    AllotmentOut,
    BlockOut,
    NightOut,
    ReservationOut,
    SegmentOut,
)


@dataclass(frozen=True, slots=True)
class Sold:
    """What a booking just wrote besides the reservation's own row: its catalog codes, its nights
    with their prices, and the one room that holds the whole stay (its name and floor's)."""

    site: str
    room_type: str
    rate_plan: str
    nights: tuple[tuple[date, int], ...]
    room: str
    floor: str


_SOLD = "present.sold"


def remember_sold(session: Session, res: Reservation, sold: Sold) -> None:
    """Kept for the answer to the booking (``reservation_out`` of this reservation, once, in this
    transaction): it then reads none of it back."""
    session.info.setdefault(_SOLD, {})[res.id] = sold


def reservation_out(session: Session, res: Reservation) -> ReservationOut:
    session.flush()
    sold: Sold | None = session.info.get(_SOLD, {}).pop(res.id, None)
    if sold is not None:
        site, type_code, plan_code = sold.site, sold.room_type, sold.rate_plan
        nights = [NightOut(night=n, amount_minor=a) for n, a in sold.nights]
        rooms = [SegmentOut(room=sold.room, floor=sold.floor, start_night=res.arrival,
                            end_night=res.departure)]
    elif session.get_bind().dialect.name == "postgresql":
        site, type_code, plan_code, nights, rooms = _details_in_one(session, res)
    else:
        site, type_code, plan_code, nights, rooms = _details(session, res)
    return ReservationOut(
        id=res.id,
        property=site,
        status=res.status,
        guest_id=res.guest_id,
        guest_name=res.guest_name,
        guest_email=res.guest_email,
        guest_phone=res.guest_phone,
        guest_language=res.guest_language,
        adults=res.adults,
        children=res.children,
        room_type=type_code,
        rate_plan=plan_code,
        block_id=res.block_id,
        arrival=res.arrival,
        departure=res.departure,
        currency=res.currency,
        total_minor=res.total_minor,
        deposit_required_minor=res.deposit_required_minor,
        cancellation_fee_minor=res.cancellation_fee_minor,
        late_checkout_fee_minor=res.late_checkout_fee_minor,
        checkout_due_at=res.checkout_due_at,
        nights=nights,
        rooms=rooms,
        checked_in_at=res.checked_in_at,
        checked_out_at=res.checked_out_at,
    )


_Details = tuple[str, str, str, list[NightOut], list[SegmentOut]]
# The catalog codes, the nights and the rooms of a reservation in one round trip (PostgreSQL).
_ONE = text("""
SELECT p.slug, t.code, rp.code,
    ARRAY(SELECT n.night FROM reservation_nights n WHERE n.reservation_id = :id ORDER BY n.night),
    ARRAY(SELECT n.amount_minor FROM reservation_nights n WHERE n.reservation_id = :id ORDER BY n.night),
    ARRAY(SELECT r.slug FROM room_allocations a JOIN rooms r ON r.id = a.room_id
          WHERE a.reservation_id = :id ORDER BY a.start_night),
    ARRAY(SELECT f.slug FROM room_allocations a JOIN rooms r ON r.id = a.room_id
          JOIN floors f ON f.id = r.floor_id WHERE a.reservation_id = :id ORDER BY a.start_night),
    ARRAY(SELECT a.start_night FROM room_allocations a WHERE a.reservation_id = :id ORDER BY a.start_night),
    ARRAY(SELECT a.end_night FROM room_allocations a WHERE a.reservation_id = :id ORDER BY a.start_night)
FROM properties p JOIN room_types t ON t.property_id = p.id JOIN rate_plans rp ON rp.property_id = p.id
WHERE p.id = :property_id AND t.id = :type_id AND rp.id = :plan_id
""")


# the same on psycopg's own connection (a booking's fast path), its parameters named as psycopg names them
_ONE_PLAIN = re.sub(r":(id|property_id|type_id|plan_id)\b", r"%(\1)s", _ONE.text)


def _details_in_one(session: Session, res: Reservation) -> _Details:
    params = {"id": res.id, "property_id": res.property_id, "type_id": res.room_type_id,
              "plan_id": res.rate_plan_id}
    raw = plain_inserts.driver_connection(session)
    row = session.execute(_ONE, params).one() if raw is None else raw.execute(_ONE_PLAIN, params).fetchone()
    site, type_code, plan_code, nights, amounts, rooms, floors, starts, ends = row
    return (site, type_code, plan_code,
            [NightOut(night=n, amount_minor=a) for n, a in zip(nights, amounts, strict=True)],
            [SegmentOut(room=r, floor=f, start_night=s, end_night=e)
             for r, f, s, e in zip(rooms, floors, starts, ends, strict=True)])


def _details(session: Session, res: Reservation) -> _Details:
    site, type_code, plan_code = session.execute(  # one round trip (booking loads no catalog rows)
        select(Property.slug, RoomType.code, RatePlan.code)
        .join(RoomType, RoomType.property_id == Property.id)
        .join(RatePlan, RatePlan.property_id == Property.id)
        .where(
            Property.id == res.property_id, RoomType.id == res.room_type_id, RatePlan.id == res.rate_plan_id
        )
    ).one()
    nights = session.scalars(
        select(ReservationNight)
        .where(ReservationNight.reservation_id == res.id)
        .order_by(ReservationNight.night)
    )
    return (site, type_code, plan_code,
            [NightOut(night=n.night, amount_minor=n.amount_minor) for n in nights], _segments(session, res))


def reservation_json(session: Session, res: Reservation) -> dict[str, Any]:
    return reservation_out(session, res).model_dump(mode="json")


def block_out(session: Session, block: GroupBlock) -> BlockOut:
    plan = session.get(RatePlan, block.rate_plan_id)
    assert plan is not None
    allots = session.execute(
        select(BlockAllotment, RoomType.code)
        .join(RoomType, RoomType.id == BlockAllotment.room_type_id)
        .where(BlockAllotment.block_id == block.id)
        .order_by(RoomType.rank)
    ).all()
    return BlockOut(
        id=block.id,
        name=block.name,
        kind=block.kind,
        arrival=block.arrival,
        departure=block.departure,
        release_on=block.release_on,
        released_at=block.released_at,
        rate_plan=plan.code,
        allotments=[AllotmentOut(room_type=code, held=a.held, picked=a.picked) for a, code in allots],
    )


def _segments(session: Session, res: Reservation) -> list[SegmentOut]:
    """The rooms of the stay, night range by night range (a room move makes two)."""
    rows = session.execute(
        select(RoomAllocation, Room.slug, Floor.slug)
        .join(Room, Room.id == RoomAllocation.room_id)
        .join(Floor, Floor.id == Room.floor_id)
        .where(RoomAllocation.reservation_id == res.id)
        .order_by(RoomAllocation.start_night)
    ).all()
    return [SegmentOut(room=room, floor=floor, start_night=a.start_night, end_night=a.end_night)
            for a, room, floor in rows]
