"""What a report can be split by, as SQL expressions over a reservation (docs/reports.md#dimensions).

Each dimension names the joins it needs; ``queries`` adds them to its statements."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal
from sqlalchemy.orm import aliased

from cloud.catalog.models import Property, Room
from cloud.channels.models import Channel, ChannelReservation
from cloud.guests.models import Guest
from cloud.guestweb.models import GuestHold
from cloud.reports.models import RatePlanUsage
from cloud.reservations.models import Reservation, RoomAllocation


class Dimension(StrEnum):
    NONE = "none"
    ROOM_TYPE = "room_type"
    RATE_PLAN = "rate_plan"
    CHANNEL = "channel"
    SEGMENT = "segment"
    COUNTRY = "country"
    TIER = "tier"


STAY = aliased(RoomAllocation, name="stay_room")
ROOM = aliased(Room, name="night_room")


SOLD_BY = aliased(ChannelReservation, name="sold_by")
CHANNEL = aliased(Channel, name="sold_channel")
ONLINE = aliased(GuestHold, name="online_hold")


def channel() -> ColumnElement[Any]:
    """The channel's code for a reservation a channel sent (``channel_reservations``); ``web`` for one
    made on the booking engine; ``group`` for a block's; ``direct`` for the rest (the desk)."""
    return case((CHANNEL.code.is_not(None), CHANNEL.code),
                (ONLINE.booked_online.is_(True), literal("web")),
                (Reservation.block_id.is_not(None), literal("group")), else_=literal("direct"))


def segment() -> ColumnElement[Any]:
    default = case((Reservation.block_id.is_not(None), literal("group")), else_=literal("transient"))
    return func.coalesce(func.nullif(RatePlanUsage.segment, ""), default)


def expression(dim: Dimension, night: Any) -> ColumnElement[Any]:
    """The dimension's value for a reservation's ``night``; the joins come from ``join``."""
    if dim is Dimension.ROOM_TYPE:
        return func.coalesce(ROOM.room_type_id, Reservation.inventory_type_id)
    if dim is Dimension.RATE_PLAN:
        return Reservation.rate_plan_id.expression
    if dim is Dimension.CHANNEL:
        return channel()
    if dim is Dimension.SEGMENT:
        return segment()
    if dim is Dimension.COUNTRY:
        return Property.country.expression
    if dim is Dimension.TIER:
        return func.coalesce(Guest.tier, literal("none"))
    return literal("all")


def join(statement: Any, dim: Dimension, night: Any) -> Any:
    """Add the outer joins ``expression`` needs (the plan's usage is always joined by the caller)."""
    if dim is Dimension.ROOM_TYPE:
        statement = statement.outerjoin(STAY, and_(
            STAY.reservation_id == Reservation.id, STAY.kind == "stay",
            STAY.start_night <= night, STAY.end_night > night)).outerjoin(ROOM, ROOM.id == STAY.room_id)
    elif dim is Dimension.CHANNEL:  # a reservation is sold by one channel booking at most
        statement = (statement.outerjoin(SOLD_BY, SOLD_BY.reservation_id == Reservation.id)
                     .outerjoin(CHANNEL, CHANNEL.id == SOLD_BY.channel_id)
                     .outerjoin(ONLINE, ONLINE.reservation_id == Reservation.id))
    elif dim is Dimension.COUNTRY:
        statement = statement.join(Property, Property.id == Reservation.property_id)
    elif dim is Dimension.TIER:
        statement = statement.outerjoin(Guest, Guest.id == Reservation.guest_id)
    return statement
