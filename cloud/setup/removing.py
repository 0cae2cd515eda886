"""Removing what a document no longer holds. A room that ever held a stay or a period is retired
(kept for the record, sold no more), never deleted; the guards refused it if stays are to come."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cloud.catalog.charges import ServiceItem, Tax, TaxCategory
from cloud.catalog.models import CardArea, Floor, RatePlan, RatePrice, Restriction, Room, RoomType
from cloud.reservations.models import RoomAllocation
from cloud.reservations.sales import rooms_inventory
from cloud.setup.diff import Change
from cloud.setup.document import WEEKDAYS
from cloud.setup.target import Target, as_date, capacity


def _before(change: Change) -> dict[str, Any]:
    assert change.before is not None
    return change.before


def period_of(target: Target, change: Change) -> RoomAllocation:
    data = _before(change)
    found = target.session.scalar(
        select(RoomAllocation).where(
            RoomAllocation.kind == "out_of_order",
            RoomAllocation.room_id == target.rooms[data["room"]].id,
            RoomAllocation.start_night == as_date(data["from"]),
            RoomAllocation.end_night == as_date(data["until"]),
        )
    )
    if found is None:
        raise LookupError(f"no out-of-order period {change.key}")
    return found


def _out_of_order(target: Target, change: Change) -> None:
    rooms_inventory.back_in_order(target.session, period_of(target, change).id)


def _by_code(
    model: type[ServiceItem]
    | type[Tax]
    | type[CardArea]
    | type[TaxCategory]
    | type[RatePlan]
    | type[RoomType],
) -> Callable[[Target, Change], None]:
    def remove(target: Target, change: Change) -> None:
        target.session.execute(
            delete(model).where(
                model.property_id == target.property_id, model.code == _before(change)["code"]
            )
        )

    return remove


def _price(target: Target, change: Change) -> None:
    data = _before(change)
    days = None if data["weekdays"] is None else sorted(WEEKDAYS.index(d) for d in data["weekdays"])
    for row in target.session.scalars(
        select(RatePrice).where(
            RatePrice.rate_plan_id == target.plans[data["plan"]].id,
            RatePrice.room_type_id == target.types[data["type"]].id,
            RatePrice.season_start.is_(None)
            if data["from"] is None
            else RatePrice.season_start == as_date(data["from"]),
            RatePrice.season_end.is_(None)
            if data["until"] is None
            else RatePrice.season_end == as_date(data["until"]),
        )
    ):
        if (None if row.weekdays is None else sorted(set(row.weekdays))) == days:
            target.session.delete(row)
    target.session.flush()


def _restriction(target: Target, change: Change) -> None:
    data = _before(change)
    plan = target.plans[data["plan"]].id if data["plan"] else None
    type_ = target.types[data["type"]].id if data["type"] else None
    target.session.execute(
        delete(Restriction).where(
            Restriction.property_id == target.property_id,
            Restriction.start == as_date(data["from"]),
            Restriction.end == as_date(data["until"]),
            Restriction.rate_plan_id.is_(None) if plan is None else Restriction.rate_plan_id == plan,
            Restriction.room_type_id.is_(None) if type_ is None else Restriction.room_type_id == type_,
        )
    )


def _room(target: Target, change: Change) -> None:
    """Delete a room that never held anything; retire one that did, after its last night held."""
    session, room = target.session, target.rooms.pop(_before(change)["id"])
    last = session.scalar(select(func.max(RoomAllocation.end_night)).where(RoomAllocation.room_id == room.id))
    if last is None:
        capacity(session, room.room_type_id, since=target.today, delta=-1, until=room.retired_from)
        _unlink(session, room)
        session.delete(room)
        session.flush()
        return
    if room.retired_from is None:
        since = max(last, target.today)
        capacity(session, room.room_type_id, since=since, delta=-1)
        room.retired_from = since


def _unlink(session: Session, room: Room) -> None:
    for other in session.scalars(select(Room).where(Room.connects_to_id == room.id)):
        other.connects_to_id = None
    session.flush()


def _floor(target: Target, change: Change) -> None:
    floor = target.floors.pop(_before(change)["id"])
    target.session.execute(delete(CardArea).where(CardArea.floor_id == floor.id))
    target.session.execute(delete(Floor).where(Floor.id == floor.id))


REMOVE: dict[str, Callable[[Target, Change], None]] = {
    "out_of_order": _out_of_order,
    "service_items": _by_code(ServiceItem),
    "taxes": _by_code(Tax),
    "restrictions": _restriction,
    "prices": _price,
    "areas": _by_code(CardArea),
    "rooms": _room,
    "tax_categories": _by_code(TaxCategory),
    "rate_plans": _by_code(RatePlan),
    "room_types": _by_code(RoomType),
    "floors": _floor,
}
