"""Rooms as inventory: a new room adds capacity, an out-of-order period takes it away."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloud.catalog.models import Floor, Property, Room, RoomType
from cloud.core.nights import Stay
from cloud.reservations.errors import UnknownResource
from cloud.reservations.models import RoomAllocation, TypeInventory
from cloud.reservations.sales import allocation, inventory
from cloud.reservations.sales.assignment import RoomInfo


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
            slug=room.slug,
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
