"""Reading and changing what a property sells: properties, room types, rooms, rates, out-of-order."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog.errors import InvalidRequest, UnknownResource
from cloud.catalog.models import Property, RatePlan, RatePrice, Restriction, Room, RoomType, weekdays_set
from cloud.catalog.pricing import DepositKind, PriceRule, RatePolicy, StayRule


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


def stay_rules(session: Session, *, property_id: int) -> list[StayRule]:
    """Every restriction of a property (the caller keeps those of a plan and type: ``StayRule.concerns``)."""
    return [
        StayRule(
            start=r.start, end=r.end, plan_id=r.rate_plan_id, type_id=r.room_type_id, min_stay=r.min_stay,
            max_stay=r.max_stay, closed_to_arrival=r.closed_to_arrival,
            closed_to_departure=r.closed_to_departure, stop_sell=r.stop_sell,
        )
        for r in session.scalars(select(Restriction).where(Restriction.property_id == property_id))
    ]
