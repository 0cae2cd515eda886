"""Checks that need the whole document: references, duplicates, overlaps, currencies, zones,
amounts. Pure: every problem is collected, none stops the others."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import available_timezones

from babel.numbers import list_currencies

from cloud.setup.document import WEEKDAYS, PricePart, PropertyDocument
from cloud.setup.errors import Problem


@cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check(doc: PropertyDocument) -> list[Problem]:
    """Every problem of the document that needs no database, in document order."""
    found: list[Problem] = []
    for part in (
        _property,
        _floors_and_types,
        _rooms,
        _areas,
        _plans_and_prices,
        _restrictions,
        _taxes,
        _out_of_order,
    ):
        found.extend(part(doc))
    return found


def _property(doc: PropertyDocument) -> Iterable[Problem]:
    prop = doc.property
    if prop.currency not in _currencies():
        yield Problem("property.currency", f"{prop.currency!r} is not an ISO 4217 currency code")
    if prop.time_zone not in _zones():
        yield Problem("property.time_zone", f"{prop.time_zone!r} is not an IANA time zone")
    if prop.late_checkout_hourly_minor < 0:
        yield Problem("property.late_checkout_hourly_minor", "must not be negative")
    if prop.check_in_until < prop.check_in_from:
        yield Problem("property.check_in_until", "is before check_in_from")
    if prop.latest_checkout_at < prop.checkout_at:
        yield Problem("property.latest_checkout_at", "is before checkout_at")


def _duplicates(section: str, keys: Sequence[object], what: str) -> Iterable[Problem]:
    seen: dict[object, int] = {}
    for i, key in enumerate(keys):
        if key in seen:
            yield Problem(f"{section}[{i}]", f"duplicate {what} {key!r} (also {section}[{seen[key]}])")
        else:
            seen[key] = i


def _floors_and_types(doc: PropertyDocument) -> Iterable[Problem]:
    yield from _duplicates("floors", [f.id for f in doc.floors], "floor")
    yield from _duplicates("room_types", [t.code for t in doc.room_types], "room type")
    for i, type_ in enumerate(doc.room_types):
        if "en" not in type_.name:
            yield Problem(f"room_types[{i}].name", "needs an English name ('en')")


def _rooms(doc: PropertyDocument) -> Iterable[Problem]:
    floors = {f.id for f in doc.floors}
    types = {t.code for t in doc.room_types}
    rooms = {r.id for r in doc.rooms}
    yield from _duplicates("rooms", [r.id for r in doc.rooms], "room")
    yield from _duplicates("rooms", [r.number for r in doc.rooms], "room number")
    for i, room in enumerate(doc.rooms):
        if room.floor not in floors:
            yield Problem(f"rooms[{i}].floor", f"no floor {room.floor!r}")
        if room.type not in types:
            yield Problem(f"rooms[{i}].type", f"no room type {room.type!r}")
        if room.connects_to is not None and (room.connects_to not in rooms or room.connects_to == room.id):
            yield Problem(f"rooms[{i}].connects_to", f"no other room {room.connects_to!r}")


def _areas(doc: PropertyDocument) -> Iterable[Problem]:
    floors = {f.id for f in doc.floors}
    yield from _duplicates("areas", [a.code for a in doc.areas], "area")
    for i, area in enumerate(doc.areas):
        if area.kind == "lift_floor" and area.floor not in floors:
            yield Problem(
                f"areas[{i}].floor", f"a lift floor needs a floor of the property, not {area.floor!r}"
            )
        if area.kind != "lift_floor" and area.floor is not None:
            yield Problem(f"areas[{i}].floor", "only a lift floor names a floor")


def _plans_and_prices(doc: PropertyDocument) -> Iterable[Problem]:
    plans, types = {p.code for p in doc.rate_plans}, {t.code for t in doc.room_types}
    yield from _duplicates("rate_plans", [p.code for p in doc.rate_plans], "rate plan")
    for i, plan in enumerate(doc.rate_plans):
        if plan.deposit != "percent" and plan.deposit_percent:
            yield Problem(f"rate_plans[{i}].deposit_percent", "only a 'percent' deposit has a percent")
    for i, price in enumerate(doc.prices):
        yield from _refs(f"prices[{i}]", plan=price.plan, type_=price.type, plans=plans, types=types)
        if price.amount_minor < 0:
            yield Problem(f"prices[{i}].amount_minor", f"a price must not be negative ({price.amount_minor})")
        if price.from_ and price.until and price.until <= price.from_:
            yield Problem(f"prices[{i}].until", "must be after 'from'")
    yield from _overlaps(doc.prices)


def _refs(
    path: str, *, plan: str | None, type_: str | None, plans: set[str], types: set[str]
) -> Iterable[Problem]:
    if plan is not None and plan not in plans:
        yield Problem(f"{path}.plan", f"no rate plan {plan!r}")
    if type_ is not None and type_ not in types:
        yield Problem(f"{path}.type", f"no room type {type_!r}")


def _overlaps(prices: Sequence[PricePart]) -> Iterable[Problem]:
    """Two prices of one plan and type, of the same kind (seasonal or not, by weekday or not),
    that both apply to a night and disagree: which one sells that night would be a guess."""
    groups: dict[tuple[str, str, bool, bool], list[int]] = {}
    for i, p in enumerate(prices):
        seasonal = p.from_ is not None or p.until is not None
        groups.setdefault((p.plan, p.type, seasonal, p.weekdays is not None), []).append(i)
    for members in groups.values():
        for n, i in enumerate(members):
            for j in members[:n]:
                night = _shared_night(prices[j], prices[i])
                a, b = prices[j], prices[i]
                if night is not None and (a.amount_minor, a.min_stay) != (b.amount_minor, b.min_stay):
                    yield Problem(
                        f"prices[{i}]",
                        f"overlaps prices[{j}] on the night of {night.isoformat()} "
                        f"({b.plan}/{b.type}) with a different price",
                    )
                    break


def _shared_night(a: PricePart, b: PricePart) -> date | None:
    """The first night both prices apply to, if any."""
    start = max(a.from_ or date.min, b.from_ or date.min)
    end = min(a.until or date.max, b.until or date.max)
    days = set(a.weekdays or WEEKDAYS) & set(b.weekdays or WEEKDAYS)
    if start >= end or not days:
        return None
    if start == date.min:
        start = date(2000, 1, 3)  # a Monday: any week shows the shared weekday
    for offset in range(7):
        night = start + timedelta(days=offset)
        if night < end and WEEKDAYS[night.weekday()] in days:
            return night
    return None


def _restrictions(doc: PropertyDocument) -> Iterable[Problem]:
    plans, types = {p.code for p in doc.rate_plans}, {t.code for t in doc.room_types}
    for i, rule in enumerate(doc.restrictions):
        yield from _refs(f"restrictions[{i}]", plan=rule.plan, type_=rule.type, plans=plans, types=types)
        if rule.until <= rule.from_:
            yield Problem(f"restrictions[{i}].until", "must be after 'from'")
        if rule.min_stay and rule.max_stay and rule.max_stay < rule.min_stay:
            yield Problem(f"restrictions[{i}].max_stay", "is less than min_stay")
        if not (
            rule.min_stay
            or rule.max_stay
            or rule.closed_to_arrival
            or rule.closed_to_departure
            or rule.stop_sell
        ):
            yield Problem(f"restrictions[{i}]", "restricts nothing")


def _taxes(doc: PropertyDocument) -> Iterable[Problem]:
    categories = {c.code: c for c in doc.tax_categories}
    yield from _duplicates("tax_categories", [c.code for c in doc.tax_categories], "tax category")
    yield from _duplicates("taxes", [t.code for t in doc.taxes], "tax")
    yield from _duplicates("service_items", [s.code for s in doc.service_items], "service item")
    kinds: dict[str, int] = {}
    for i, category in enumerate(doc.tax_categories):
        for kind in category.charge_kinds:
            if kind in kinds and kinds[kind] != i:
                yield Problem(
                    f"tax_categories[{i}].charge_kinds", f"{kind!r} is in tax_categories[{kinds[kind]}] too"
                )
            kinds.setdefault(kind, i)
    for i, tax in enumerate(doc.taxes):
        if not Decimal(0) <= Decimal(tax.percent) <= Decimal(100):
            yield Problem(f"taxes[{i}].percent", f"must be between 0 and 100, not {tax.percent}")
        for n, code in enumerate(tax.categories):
            if code not in categories:
                yield Problem(f"taxes[{i}].categories[{n}]", f"no tax category {code!r}")
    yield from _items(doc)


def _items(doc: PropertyDocument) -> Iterable[Problem]:
    for i, item in enumerate(doc.service_items):
        category = next((c for c in doc.tax_categories if c.code == item.category), None)
        if category is None:
            yield Problem(f"service_items[{i}].category", f"no tax category {item.category!r}")
        elif item.charge_kind not in category.charge_kinds:
            yield Problem(
                f"service_items[{i}].charge_kind",
                f"{item.charge_kind!r} is not a charge kind of tax category {item.category!r}",
            )
        if item.price_minor < 0:
            yield Problem(
                f"service_items[{i}].price_minor", f"a price must not be negative ({item.price_minor})"
            )
        if "en" not in item.name:
            yield Problem(f"service_items[{i}].name", "needs an English name ('en')")


def _out_of_order(doc: PropertyDocument) -> Iterable[Problem]:
    rooms = {r.id for r in doc.rooms}
    by_room: dict[str, list[int]] = {}
    for i, period in enumerate(doc.out_of_order):
        if period.room not in rooms:
            yield Problem(f"out_of_order[{i}].room", f"no room {period.room!r}")
        if period.until <= period.from_:
            yield Problem(f"out_of_order[{i}].until", "must be after 'from'")
            continue
        for j in by_room.get(period.room, []):
            other = doc.out_of_order[j]
            if period.from_ < other.until and other.from_ < period.until:
                yield Problem(f"out_of_order[{i}]", f"overlaps out_of_order[{j}] of room {period.room!r}")
        by_room.setdefault(period.room, []).append(i)
