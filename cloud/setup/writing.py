"""Writing a diff into the catalog: one function per section, creations and changes in the order
of ``diff.SECTIONS``, removals of what others name (types, plans, floors, categories) last."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import null, select

from cloud.catalog.charges import ServiceItem, Tax, TaxCategory
from cloud.catalog.models import CardArea, Floor, Property, RatePlan, RatePrice, Restriction, Room, RoomType
from cloud.core.nights import Stay
from cloud.reservations.sales import rooms_inventory
from cloud.setup import rows
from cloud.setup.diff import Change
from cloud.setup.document import WEEKDAYS
from cloud.setup.percent import percent_ppm
from cloud.setup.removing import REMOVE, period_of
from cloud.setup.target import Target, as_date, capacity

FIRST_REMOVED = ("out_of_order", "service_items", "taxes", "restrictions", "prices", "areas", "rooms")
LAST_REMOVED = ("tax_categories", "rate_plans", "room_types", "floors")  # after rooms and items move off
_Coded = TypeVar("_Coded", RoomType, RatePlan, TaxCategory)


def write(target: Target, changes: list[Change]) -> None:
    """Apply the changes (already checked) in an order every reference and constraint accepts."""
    for section in FIRST_REMOVED:
        for change in changes:
            if change.section == section and change.action in ("delete", "retire"):
                REMOVE[section](target, change)
    for change in changes:
        if change.action in ("create", "update"):
            _WRITE[change.section](target, change)
    _link_rooms(target)
    for section in LAST_REMOVED:
        for change in changes:
            if change.section == section and change.action == "delete":
                REMOVE[section](target, change)


def _after(change: Change) -> dict[str, Any]:
    assert change.after is not None
    return change.after


def _property(target: Target, change: Change) -> None:
    values = rows.property_values(_after(change))
    if target.prop is None:
        target.prop = Property(**values)
        target.session.add(target.prop)
    else:
        for name, value in values.items():
            setattr(target.prop, name, value)
    target.session.flush()


def _floor(target: Target, change: Change) -> None:
    data = _after(change)
    floor = target.floors.get(data["id"]) or Floor(property_id=target.property_id, slug=data["id"])
    floor.level, floor.name = data["level"], data["name"]
    target.session.add(floor)
    target.floors[data["id"]] = floor


def _by_code(target: Target, known: dict[str, _Coded], model: type[_Coded], values: dict[str, Any]) -> None:
    """Create or change the property's item of ``model`` with ``values["code"]`` and remember it."""
    code = values["code"]
    item = known.get(code) or model(property_id=target.property_id, code=code)
    for name, value in values.items():
        setattr(item, name, value)
    target.session.add(item)
    known[code] = item


def _room_type(target: Target, change: Change) -> None:
    data = _after(change)
    _by_code(target, target.types, RoomType, {"code": data["code"], **rows.room_type_values(data)})


def _rate_plan(target: Target, change: Change) -> None:
    data = _after(change)
    _by_code(target, target.plans, RatePlan, {"code": data["code"], **rows.rate_plan_values(data)})


def _category(target: Target, change: Change) -> None:
    data = _after(change)
    values = {"code": data["code"], "name": data["name"], "charge_kinds": sorted(data["charge_kinds"])}
    _by_code(target, target.categories, TaxCategory, values)


def _room(target: Target, change: Change) -> None:
    data, session = _after(change), target.session
    session.flush()  # floors and types written before have their ids
    floor, type_ = target.floors[data["floor"]], target.types[data["type"]]
    features = {"view": data["view"], "accessible": data["accessible"], "near_lift": data["near_lift"]}
    room = target.rooms.get(data["id"])
    if room is None:
        room = rooms_inventory.add_room(
            session,
            target.existing,
            floor=floor,
            type_=type_,
            slug=data["id"],
            number=data["number"],
            **features,
        )
        target.rooms[data["id"]] = room
        _retire(target, room, as_date(data["retired_from"]))
        return
    if room.room_type_id != type_.id:  # no stays to come (checked): move its capacity
        capacity(session, room.room_type_id, since=target.today, delta=-1, until=room.retired_from)
        capacity(session, type_.id, since=target.today, delta=1, until=room.retired_from)
    room.floor_id, room.room_type_id, room.number = floor.id, type_.id, data["number"]
    for name, value in features.items():
        setattr(room, name, value)
    _retire(target, room, as_date(data["retired_from"]))


def _retire(target: Target, room: Room, retired_from: date | None) -> None:
    """Take the room out of its type's capacity from ``retired_from`` (or give it back)."""
    before = room.retired_from
    if before == retired_from:
        return
    if before is not None:
        capacity(target.session, room.room_type_id, since=before, delta=1)
    if retired_from is not None:
        capacity(target.session, room.room_type_id, since=retired_from, delta=-1)
    room.retired_from = retired_from


def _link_rooms(target: Target) -> None:
    for part in target.doc.rooms:
        room = target.rooms[part.id]
        linked = target.rooms[part.connects_to].id if part.connects_to else None
        if room.connects_to_id != linked:
            room.connects_to_id = linked
    target.session.flush()


def _area(target: Target, change: Change) -> None:
    data = _after(change)
    found = target.session.scalar(
        select(CardArea).where(CardArea.property_id == target.property_id, CardArea.code == data["code"])
    )
    area = found or CardArea(property_id=target.property_id, code=data["code"])
    area.kind, area.name = data["kind"], data["name"]
    target.session.flush()
    area.floor_id = target.floors[data["floor"]].id if data["floor"] else None
    target.session.add(area)


def _price(target: Target, change: Change) -> None:
    if change.action == "update":
        REMOVE["prices"](target, change)
    data = _after(change)
    target.session.flush()
    target.session.add(
        RatePrice(
            rate_plan_id=target.plans[data["plan"]].id,
            room_type_id=target.types[data["type"]].id,
            amount_minor=data["amount_minor"],
            season_start=as_date(data["from"]),
            season_end=as_date(data["until"]),
            weekdays=null()
            if data["weekdays"] is None
            else sorted(WEEKDAYS.index(d) for d in data["weekdays"]),
            min_stay=data["min_stay"],
        )
    )


def _restriction(target: Target, change: Change) -> None:
    if change.action == "update":
        REMOVE["restrictions"](target, change)
    data = _after(change)
    target.session.flush()
    target.session.add(
        Restriction(
            property_id=target.property_id,
            start=as_date(data["from"]),
            end=as_date(data["until"]),
            rate_plan_id=target.plans[data["plan"]].id if data["plan"] else None,
            room_type_id=target.types[data["type"]].id if data["type"] else None,
            min_stay=data["min_stay"],
            max_stay=data["max_stay"],
            closed_to_arrival=data["closed_to_arrival"],
            closed_to_departure=data["closed_to_departure"],
            stop_sell=data["stop_sell"],
        )
    )


def _tax(target: Target, change: Change) -> None:
    data = _after(change)
    found = target.session.scalar(
        select(Tax).where(Tax.property_id == target.property_id, Tax.code == data["code"])
    )
    tax = found or Tax(property_id=target.property_id, code=data["code"])
    tax.name, tax.ppm, tax.categories = data["name"], percent_ppm(data["percent"]), sorted(data["categories"])
    target.session.add(tax)


def _service_item(target: Target, change: Change) -> None:
    data = _after(change)
    target.session.flush()
    found = target.session.scalar(
        select(ServiceItem).where(
            ServiceItem.property_id == target.property_id, ServiceItem.code == data["code"]
        )
    )
    item = found or ServiceItem(property_id=target.property_id, code=data["code"])
    item.names, item.price_minor, item.charge_kind = (
        dict(data["name"]),
        data["price_minor"],
        data["charge_kind"],
    )
    item.tax_category_id = target.categories[data["category"]].id
    target.session.add(item)


def _out_of_order(target: Target, change: Change) -> None:
    data = _after(change)
    if change.action == "update":  # the same room and nights: only the note changed
        period = period_of(target, change)
        period.note = data["note"]
        return
    target.session.flush()
    rooms_inventory.put_out_of_order(
        target.session,
        target.rooms[data["room"]],
        stay=Stay(as_date(data["from"]), as_date(data["until"])),  # type: ignore[arg-type]
        note=data["note"],
    )


_WRITE: dict[str, Callable[[Target, Change], None]] = {
    "property": _property,
    "floors": _floor,
    "room_types": _room_type,
    "rate_plans": _rate_plan,
    "tax_categories": _category,
    "rooms": _room,
    "areas": _area,
    "prices": _price,
    "restrictions": _restriction,
    "taxes": _tax,
    "service_items": _service_item,
    "out_of_order": _out_of_order,
}
