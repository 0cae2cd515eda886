"""Turning reservations and blocks into API bodies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog.models import Floor, Property, RatePlan, Room, RoomType
from cloud.reservations.groups.models import BlockAllotment, GroupBlock
from cloud.reservations.models import Reservation, ReservationNight, RoomAllocation
from cloud.reservations.schemas import (
    AllotmentOut,
    BlockOut,
    NightOut,
    ReservationOut,
    SegmentOut,
)


def reservation_out(session: Session, res: Reservation) -> ReservationOut:
    session.flush()
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
        nights=[NightOut(night=n.night, amount_minor=n.amount_minor) for n in nights],
        rooms=_segments(session, res),
        checked_in_at=res.checked_in_at,
        checked_out_at=res.checked_out_at,
    )


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
