"""The conflict rules' view of the cloud (``CloudView``) read from the cloud's own tables: a
property's reservations, which stays hold a room on which nights, its free rooms, its prices.

Read inside the replay's transaction, so what a rule sees is what the desk would change.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog.models import Property, RatePlan, Room, RoomType
from cloud.core.errors import DomainError
from cloud.node.conflicts import ReservationFacts
from cloud.reservations.models import HOLDING, Reservation, ReservationNight, RoomAllocation
from cloud.reservations.sales.booking import make_stay, price


class SqlCloudView:
    def __init__(self, session: Session, *, site: str) -> None:
        prop = session.scalar(select(Property).where(Property.slug == site))
        if prop is None:
            raise LookupError(f"no property {site!r}")
        self.session, self.property = session, prop

    def reservation(self, reservation_id: str) -> ReservationFacts | None:
        res = self.session.get(Reservation, reservation_id)
        if res is None or res.property_id != self.property.id:
            return None
        type_ = self.session.get(RoomType, res.room_type_id)
        first = self.session.scalar(
            select(ReservationNight.amount_minor)
            .where(ReservationNight.reservation_id == res.id)
            .order_by(ReservationNight.night)
        )
        return ReservationFacts(res.status, type_.code if type_ else "", first)

    def room_holders(self, room: str, *, arrival: date, departure: date, excluding: str) -> list[str]:
        rows = self.session.scalars(
            select(RoomAllocation.reservation_id)
            .join(Room, Room.id == RoomAllocation.room_id)
            .join(Reservation, Reservation.id == RoomAllocation.reservation_id)
            .where(
                Room.property_id == self.property.id,
                Room.slug == room,
                RoomAllocation.start_night < departure,
                RoomAllocation.end_night > arrival,
                Reservation.status.in_(HOLDING),
                Reservation.id != excluding,
            )
        )
        return sorted({r for r in rows if r is not None})

    def free_rooms(self, room_type: str, *, arrival: date, departure: date) -> list[str]:
        busy = select(RoomAllocation.room_id).where(
            RoomAllocation.start_night < departure, RoomAllocation.end_night > arrival
        )
        rows = self.session.scalars(
            select(Room.slug)
            .join(RoomType, RoomType.id == Room.room_type_id)
            .where(
                Room.property_id == self.property.id,
                RoomType.code == room_type,
                Room.id.not_in(busy),
                (Room.retired_from.is_(None)) | (Room.retired_from >= departure),
            )
            .order_by(Room.number)
        )
        return list(rows)

    def price(
        self, room_type: str, *, arrival: date, departure: date, rate_plan: str = ""
    ) -> list[int] | None:
        """A walk-in's nightly prices for the stay on ``rate_plan`` (the property's first rate plan
        when not named or unknown), if it sells."""
        type_ = self.session.scalar(
            select(RoomType).where(RoomType.property_id == self.property.id, RoomType.code == room_type)
        )
        plans = select(RatePlan).where(RatePlan.property_id == self.property.id)
        plan = self.session.scalar(plans.where(RatePlan.code == rate_plan)) if rate_plan else None
        plan = plan or self.session.scalar(plans.order_by(RatePlan.id))
        if type_ is None or plan is None:
            return None
        try:
            quote = price(
                self.session,
                prop=self.property,
                type_=type_,
                plan=plan,
                stay=make_stay(arrival, departure),
            )
        except DomainError:  # a closed night, a minimum stay: no price to compare with
            return None
        return [amount for _night, amount in quote.nights]
