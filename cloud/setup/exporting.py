"""The property as a document: what ``apply`` would write back unchanged (sorted, canonical)."""

from __future__ import annotations

from datetime import date
from typing import TypeVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog.charges import ServiceItem, Tax, TaxCategory
from cloud.catalog.models import CardArea, Floor, Property, RatePlan, RatePrice, Restriction, Room, RoomType
from cloud.catalog.pricing import PROMOTION_PLAN_PREFIX
from cloud.reservations.models import RoomAllocation
from cloud.setup.document import (
    WEEKDAYS,
    AreaPart,
    FloorPart,
    Language,
    OutOfOrderPart,
    PricePart,
    PropertyDocument,
    PropertyPart,
    RatePlanPart,
    RestrictionPart,
    RoomPart,
    RoomTypePart,
    ServiceItemPart,
    TaxCategoryPart,
    TaxPart,
)
from cloud.setup.errors import UnknownProperty
from cloud.setup.percent import percent_text


def find_property(session: Session, site: str) -> Property | None:
    return session.scalar(select(Property).where(Property.slug == site))


def export(session: Session, site: str, *, today: date | None = None) -> PropertyDocument:
    """The whole property; out-of-order periods that end after ``today`` (all when None)."""
    prop = find_property(session, site)
    if prop is None:
        raise UnknownProperty(f"no property {site!r}")
    floors = {f.id: f for f in _rows(session, Floor, prop)}
    types = {t.id: t for t in _rows(session, RoomType, prop)}
    plans = {p.id: p for p in _rows(session, RatePlan, prop) if not p.code.startswith(PROMOTION_PLAN_PREFIX)}
    rooms = {r.id: r for r in _rows(session, Room, prop)}
    categories = {c.id: c for c in _rows(session, TaxCategory, prop)}
    return PropertyDocument(
        property=_property(prop),
        floors=tuple(sorted((_floor(f) for f in floors.values()), key=lambda f: (f.level, f.id))),
        room_types=tuple(sorted((_type(t) for t in types.values()), key=lambda t: (t.rank, t.code))),
        rooms=tuple(sorted((_room(r, floors, types, rooms) for r in rooms.values()), key=lambda r: r.number)),
        areas=tuple(sorted((_area(a, floors) for a in _rows(session, CardArea, prop)), key=lambda a: a.code)),
        rate_plans=tuple(sorted((_plan(p) for p in plans.values()), key=lambda p: p.code)),
        prices=_prices(session, plans, types),
        restrictions=tuple(
            sorted(
                (_restriction(r, plans, types) for r in _rows(session, Restriction, prop)
                 if r.rate_plan_id is None or r.rate_plan_id in plans),  # not a chain promotion's
                key=restriction_key,
            )
        ),
        tax_categories=tuple(sorted((_category(c) for c in categories.values()), key=lambda c: c.code)),
        taxes=tuple(sorted((_tax(t) for t in _rows(session, Tax, prop)), key=lambda t: t.code)),
        service_items=tuple(
            sorted((_item(s, categories) for s in _rows(session, ServiceItem, prop)), key=lambda s: s.code)
        ),
        out_of_order=_out_of_order(session, rooms, today=today),
    )


_Row = TypeVar("_Row", Floor, RoomType, RatePlan, Room, CardArea, Restriction, TaxCategory, Tax, ServiceItem)


def _rows(session: Session, model: type[_Row], prop: Property) -> list[_Row]:
    return list(session.scalars(select(model).where(model.property_id == prop.id)))


def _property(prop: Property) -> PropertyPart:
    return PropertyPart(
        site=prop.slug,
        number=prop.number,
        name=prop.name,
        chain=prop.chain,
        legal_name=prop.legal_name,
        address=prop.address,
        country=prop.country,
        tax_ids=tuple(prop.tax_ids or ()),
        time_zone=prop.timezone,
        currency=prop.currency,
        language=prop.language,  # type: ignore[arg-type]
        check_in_from=prop.checkin_from,
        check_in_until=prop.checkin_until,
        checkout_at=prop.checkout_at,
        latest_checkout_at=prop.latest_checkout_at,
        late_checkout_hourly_minor=prop.late_checkout_hourly_minor,
        invoice_series=prop.invoice_series,
        prices_include_tax=prop.prices_include_tax,
    )


def _by_language(texts: dict[str, str]) -> dict[Language, str]:
    """Texts by language as stored (the document refuses other languages)."""
    return cast(dict[Language, str], dict(texts))


def _floor(floor: Floor) -> FloorPart:
    return FloorPart(id=floor.slug, level=floor.level, name=floor.name)


def _type(type_: RoomType) -> RoomTypePart:
    names = dict(type_.names or {}) or {"en": type_.name}
    return RoomTypePart(
        code=type_.code,
        name=_by_language(names),
        description=_by_language(type_.descriptions or {}),
        max_guests=type_.max_guests,
        rank=type_.rank,
        beds=type_.beds,
        features=tuple(type_.features or ()),
        photos=tuple(type_.photos or ()),
    )


def _room(
    room: Room, floors: dict[int, Floor], types: dict[int, RoomType], rooms: dict[int, Room]
) -> RoomPart:
    return RoomPart(
        id=room.slug,
        number=room.number,
        floor=floors[room.floor_id].slug,
        type=types[room.room_type_id].code,
        view=room.view,
        accessible=room.accessible,
        near_lift=room.near_lift,
        connects_to=rooms[room.connects_to_id].slug if room.connects_to_id in rooms else None,
        retired_from=room.retired_from,
    )


def _area(area: CardArea, floors: dict[int, Floor]) -> AreaPart:
    floor = floors[area.floor_id].slug if area.floor_id in floors else None
    return AreaPart(code=area.code, kind=area.kind, name=area.name, floor=floor)  # type: ignore[arg-type]


def _plan(plan: RatePlan) -> RatePlanPart:
    return RatePlanPart(
        code=plan.code,
        name=plan.name,
        refundable=plan.refundable,
        free_cancel_hours=plan.free_cancel_hours,
        cancel_fee_nights=plan.cancel_fee_nights,
        deposit=plan.deposit_kind,  # type: ignore[arg-type]
        deposit_percent=plan.deposit_percent,
        min_stay=plan.min_stay,
        meals=plan.meals,  # type: ignore[arg-type]
    )


def price_key(p: PricePart) -> tuple[str, str, date, date, tuple[int, ...]]:
    days = tuple(WEEKDAYS.index(d) for d in p.weekdays) if p.weekdays is not None else (-1,)
    return (p.plan, p.type, p.from_ or date.min, p.until or date.max, days)


def restriction_key(r: RestrictionPart) -> tuple[str, str, date, date]:
    return (r.plan or "", r.type or "", r.from_, r.until)


def _prices(
    session: Session, plans: dict[int, RatePlan], types: dict[int, RoomType]
) -> tuple[PricePart, ...]:
    rows = session.scalars(select(RatePrice).where(RatePrice.rate_plan_id.in_(list(plans))))
    parts = [
        PricePart(
            plan=plans[r.rate_plan_id].code,
            type=types[r.room_type_id].code,
            amount_minor=r.amount_minor,
            from_=r.season_start,
            until=r.season_end,
            min_stay=r.min_stay,
            weekdays=None if r.weekdays is None else tuple(WEEKDAYS[d] for d in sorted(set(r.weekdays))),
        )
        for r in rows
    ]
    return tuple(sorted(parts, key=price_key))


def _restriction(r: Restriction, plans: dict[int, RatePlan], types: dict[int, RoomType]) -> RestrictionPart:
    return RestrictionPart(
        from_=r.start,
        until=r.end,
        plan=plans[r.rate_plan_id].code if r.rate_plan_id else None,
        type=types[r.room_type_id].code if r.room_type_id else None,
        min_stay=r.min_stay,
        max_stay=r.max_stay,
        closed_to_arrival=r.closed_to_arrival,
        closed_to_departure=r.closed_to_departure,
        stop_sell=r.stop_sell,
    )


def _category(c: TaxCategory) -> TaxCategoryPart:
    return TaxCategoryPart(code=c.code, name=c.name, charge_kinds=tuple(sorted(c.charge_kinds or ())))  # type: ignore[arg-type]


def _tax(t: Tax) -> TaxPart:
    return TaxPart(
        code=t.code, name=t.name, percent=percent_text(t.ppm), categories=tuple(sorted(t.categories or ()))
    )


def _item(s: ServiceItem, categories: dict[int, TaxCategory]) -> ServiceItemPart:
    return ServiceItemPart(
        code=s.code,
        name=_by_language(s.names or {}),
        price_minor=s.price_minor,
        category=categories[s.tax_category_id].code,
        charge_kind=s.charge_kind,  # type: ignore[arg-type]
    )


def _out_of_order(
    session: Session, rooms: dict[int, Room], *, today: date | None
) -> tuple[OutOfOrderPart, ...]:
    query = select(RoomAllocation).where(
        RoomAllocation.kind == "out_of_order", RoomAllocation.room_id.in_(list(rooms))
    )
    if today is not None:
        query = query.where(RoomAllocation.end_night > today)
    parts = [
        OutOfOrderPart(room=rooms[a.room_id].slug, from_=a.start_night, until=a.end_night, note=a.note)
        for a in session.scalars(query)
    ]
    return tuple(sorted(parts, key=lambda p: (p.room, p.from_)))
