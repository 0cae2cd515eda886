"""Reading and changing what a property sells: properties, room types, rooms, rates, out-of-order."""

from __future__ import annotations

from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloud.reservations import allocation, inventory
from cloud.reservations.assignment import RoomInfo
from cloud.reservations.errors import InvalidRequest, UnknownResource
from cloud.reservations.models import Floor, Property, RatePlan, RatePrice, Room, RoomType, weekdays_set
from cloud.reservations.models_stays import RoomAllocation, TypeInventory
from cloud.reservations.nights import Stay
from cloud.reservations.pricing import DepositKind, PriceRule, RatePolicy


def get_property(session: Session, slug: str) -> Property:
    prop = session.scalar(select(Property).where(Property.slug == slug))
    if prop is None:
        raise UnknownResource(f"no property {slug!r}")
    return prop


def create_property(
    session: Session,
    *,
    slug: str,
    number: int = 1,
    name: str,
    timezone: str,
    currency: str,
    checkin_from: time = time(15),
    checkin_until: time = time(23, 59),
    checkout_at: time = time(11),
    latest_checkout_at: time = time(14),
    late_checkout_hourly_minor: int = 0,
) -> Property:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidRequest(f"unknown time zone {timezone!r}") from exc
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise InvalidRequest(f"currency must be an ISO 4217 code, not {currency!r}")
    prop = Property(
        number=number,
        slug=slug,
        name=name,
        timezone=timezone,
        currency=currency,
        checkin_from=checkin_from,
        checkin_until=checkin_until,
        checkout_at=checkout_at,
        latest_checkout_at=latest_checkout_at,
        late_checkout_hourly_minor=late_checkout_hourly_minor,
    )
    session.add(prop)
    session.flush()
    return prop


def room_type(session: Session, prop: Property, code: str) -> RoomType:
    found = session.scalar(select(RoomType).where(RoomType.property_id == prop.id, RoomType.code == code))
    if found is None:
        raise UnknownResource(f"no room type {code!r} at {prop.slug}")
    return found


def rate_plan(session: Session, prop: Property, code: str) -> RatePlan:
    found = session.scalar(select(RatePlan).where(RatePlan.property_id == prop.id, RatePlan.code == code))
    if found is None:
        raise UnknownResource(f"no rate plan {code!r} at {prop.slug}")
    return found


def room_by_slug(session: Session, prop: Property, slug: str) -> Room:
    found = session.scalar(select(Room).where(Room.property_id == prop.id, Room.slug == slug))
    if found is None:
        raise UnknownResource(f"no room {slug!r} at {prop.slug}")
    return found


def policy_of(plan: RatePlan) -> RatePolicy:
    kind: DepositKind = plan.deposit_kind  # type: ignore[assignment]
    return RatePolicy(
        refundable=plan.refundable,
        free_cancel_hours=plan.free_cancel_hours,
        cancel_fee_nights=plan.cancel_fee_nights,
        deposit_kind=kind,
        deposit_percent=plan.deposit_percent,
        min_stay=plan.min_stay,
    )


def price_rules(session: Session, *, plan_id: int, type_id: int) -> list[PriceRule]:
    rows = session.scalars(
        select(RatePrice).where(RatePrice.rate_plan_id == plan_id, RatePrice.room_type_id == type_id)
    )
    return [
        PriceRule(
            amount_minor=r.amount_minor,
            season_start=r.season_start,
            season_end=r.season_end,
            weekdays=weekdays_set(r.weekdays),
            min_stay=r.min_stay,
        )
        for r in rows
    ]


def all_price_rules(
    session: Session, *, plan_ids: list[int], type_ids: list[int]
) -> dict[tuple[int, int], list[PriceRule]]:
    """Every price of these plans and types in one query, keyed by (plan id, type id)."""
    rules: dict[tuple[int, int], list[PriceRule]] = {}
    rows = session.scalars(
        select(RatePrice).where(RatePrice.rate_plan_id.in_(plan_ids), RatePrice.room_type_id.in_(type_ids))
    )
    for r in rows:
        rules.setdefault((r.rate_plan_id, r.room_type_id), []).append(
            PriceRule(
                amount_minor=r.amount_minor,
                season_start=r.season_start,
                season_end=r.season_end,
                weekdays=weekdays_set(r.weekdays),
                min_stay=r.min_stay,
            )
        )
    return rules


def room_infos(session: Session, prop: Property) -> list[RoomInfo]:
    rows = session.execute(
        select(Room, RoomType.rank, Floor.slug)
        .join(RoomType, RoomType.id == Room.room_type_id)
        .join(Floor, Floor.id == Room.floor_id)
        .where(Room.property_id == prop.id)
    )
    return [
        RoomInfo(
            id=room.id,
            type_id=room.room_type_id,
            type_rank=rank,
            floor=floor,
            view=room.view,
            accessible=room.accessible,
            near_lift=room.near_lift,
        )
        for room, rank, floor in rows
    ]


def add_room(
    session: Session,
    prop: Property,
    *,
    floor: Floor,
    type_: RoomType,
    slug: str,
    number: int,
    **features: Any,
) -> Room:
    """A new room adds one to its type's capacity on every night already counted."""
    room = Room(
        property_id=prop.id, floor_id=floor.id, room_type_id=type_.id, slug=slug, number=number, **features
    )
    session.add(room)
    session.flush()
    session.execute(
        update(TypeInventory)
        .where(TypeInventory.room_type_id == type_.id)
        .values(capacity=TypeInventory.capacity + 1)
        .execution_options(synchronize_session=False)
    )
    return room


def put_out_of_order(session: Session, room: Room, *, stay: Stay, note: str = "") -> int:
    """Block a free room; refused if a stay holds it or the type would be oversold without it."""
    inventory.ensure_rows(session, type_id=room.room_type_id, stay=stay)
    allocation_id = allocation.allocate(
        session, room_id=room.id, stay=stay, reservation_id=None, kind="out_of_order", note=note
    )
    inventory.adjust(session, type_id=room.room_type_id, stay=stay, capacity=-1)
    return allocation_id


def back_in_order(session: Session, allocation_id: int) -> None:
    period = session.get(RoomAllocation, allocation_id)
    if period is None or period.kind != "out_of_order":
        raise UnknownResource(f"no out-of-order period {allocation_id}")
    room = session.get(Room, period.room_id)
    assert room is not None
    stay = Stay(period.start_night, period.end_night)
    inventory.ensure_rows(session, type_id=room.room_type_id, stay=stay)
    session.delete(period)
    session.flush()
    inventory.adjust(session, type_id=room.room_type_id, stay=stay, capacity=1)
