"""Read models: availability with quotes, arrivals and departures, the tape chart."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog import service as catalog
from cloud.catalog.models import Floor, Property, RatePlan, Room, RoomType
from cloud.catalog.pricing import Quote, quote, restriction
from cloud.core.errors import DomainError
from cloud.core.nights import Stay
from cloud.reservations.models import HOLDING, OCCUPYING, Reservation, RoomAllocation
from cloud.reservations.sales import inventory


@dataclass(frozen=True)
class Offer:
    room_type: RoomType
    rooms_left: int
    rate_plan: RatePlan
    quote: Quote
    unavailable: str | None = None  # why a restriction forbids the stay (the quote is shown all the same)


def availability(
    session: Session, prop: Property, *, stay: Stay, guests: int, room_type: str | None = None
) -> list[Offer]:
    """Every sellable (type, rate plan) for the stay, with its night-by-night quote; a pair that a
    restriction forbids is listed with the reason."""
    query = select(RoomType).where(RoomType.property_id == prop.id, RoomType.max_guests >= guests)
    if room_type:
        query = query.where(RoomType.code == room_type)
    types = list(session.scalars(query.order_by(RoomType.rank)))
    free = inventory.free_by_type(session, type_ids=[t.id for t in types], stay=stay)
    plans = list(
        session.scalars(select(RatePlan).where(RatePlan.property_id == prop.id).order_by(RatePlan.id))
    )
    all_rules = catalog.all_price_rules(
        session, plan_ids=[p.id for p in plans], type_ids=[t.id for t in types]
    )
    stay_rules = catalog.stay_rules(session, property_id=prop.id)
    offers = []
    for type_ in types:
        if free.get(type_.id, 0) <= 0:
            continue
        for plan in plans:
            rules = all_rules.get((plan.id, type_.id), [])
            try:
                priced = quote(rules, stay, currency=prop.currency, policy=catalog.policy_of(plan))
            except DomainError:
                continue  # no price for some night, or the stay is too short for this plan
            closed = restriction(
                [r for r in stay_rules if r.concerns(plan_id=plan.id, type_id=type_.id)], stay
            )
            offers.append(Offer(type_, free[type_.id], plan, priced, unavailable=closed))
    return offers


def by_name(rows: Iterable[Reservation]) -> list[Reservation]:
    """Sorted by guest name: names are sealed in the database, so the order is made here."""
    return sorted(rows, key=lambda r: (r.guest_name.casefold(), r.id))


def arrivals(session: Session, prop: Property, day: date) -> list[Reservation]:
    return by_name(
        session.scalars(
            select(Reservation)
            .where(
                Reservation.property_id == prop.id,
                Reservation.arrival == day,
                Reservation.status.in_(HOLDING),
            )
        )
    )


def departures(session: Session, prop: Property, day: date) -> list[Reservation]:
    return by_name(
        session.scalars(
            select(Reservation)
            .where(
                Reservation.property_id == prop.id,
                Reservation.departure == day,
                Reservation.status.in_(OCCUPYING),
            )
        )
    )


@dataclass(frozen=True)
class ChartBar:
    room_id: int
    start: date
    end: date
    kind: str
    reservation_id: str | None
    label: str
    status: str


@dataclass(frozen=True)
class ChartRow:
    room: Room
    floor: str
    type_code: str
    bars: list[ChartBar]


def tape_chart(session: Session, prop: Property, *, start: date, days: int) -> list[ChartRow]:
    """Rooms by floor with what holds them between start and start + days."""
    end = start + timedelta(days=days)
    rows = session.execute(
        select(Room, Floor.slug, RoomType.code)
        .join(Floor, Floor.id == Room.floor_id)
        .join(RoomType, RoomType.id == Room.room_type_id)
        .where(Room.property_id == prop.id)
        .order_by(Floor.level, Room.slug)
    ).all()
    held = session.execute(
        select(RoomAllocation, Reservation)
        .outerjoin(Reservation, Reservation.id == RoomAllocation.reservation_id)
        .where(
            RoomAllocation.room_id.in_([r.id for r, _f, _t in rows]),
            RoomAllocation.start_night < end,
            RoomAllocation.end_night > start,
        )
    ).all()
    bars: dict[int, list[ChartBar]] = {}
    for alloc, res in held:
        bars.setdefault(alloc.room_id, []).append(
            ChartBar(
                room_id=alloc.room_id,
                start=alloc.start_night,
                end=alloc.end_night,
                kind=alloc.kind,
                reservation_id=alloc.reservation_id,
                label=res.guest_name if res else (alloc.note or "out of order"),
                status=res.status if res else "out_of_order",
            )
        )
    return [
        ChartRow(room, floor, code, sorted(bars.get(room.id, []), key=lambda b: b.start))
        for room, floor, code in rows
    ]


def unassigned(session: Session, prop: Property, *, start: date, end: date) -> list[Reservation]:
    """Sold stays with no room yet (to assign, or to show beside the chart)."""
    has_room = select(RoomAllocation.reservation_id).where(RoomAllocation.reservation_id.is_not(None))
    return list(
        session.scalars(
            select(Reservation).where(
                Reservation.property_id == prop.id,
                Reservation.status.in_(HOLDING),
                Reservation.arrival < end,
                Reservation.departure > start,
                Reservation.id.notin_(has_room),
            )
        )
    )
