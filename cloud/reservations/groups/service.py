"""Group and event blocks: rooms held until a release date, picked up by the rooming list."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.catalog import service as catalog
from cloud.catalog.models import Property
from cloud.core.nights import Stay, local_today
from cloud.reservations.errors import BlockExhausted, InvalidRequest, UnknownResource
from cloud.reservations.groups.models import BlockAllotment, GroupBlock
from cloud.reservations.sales import inventory
from mqtt.envelope import new_id


def create_block(
    session: Session,
    prop: Property,
    *,
    name: str,
    kind: str,
    arrival: date,
    departure: date,
    release_on: date,
    rate_plan: str,
    rooms: Mapping[str, int],
    now: datetime,
) -> GroupBlock:
    """Hold rooms by type for every night of the block; SoldOut if the hotel has not got them."""
    if kind not in ("group", "event"):
        raise InvalidRequest("kind is 'group' or 'event'")
    try:
        stay = Stay(arrival, departure)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from exc
    if not local_today(now, prop.timezone) <= release_on <= arrival:
        raise InvalidRequest("the release date falls between today and arrival")
    if not rooms or any(count < 1 for count in rooms.values()):
        raise InvalidRequest("a block holds at least one room of each type it names")
    plan = catalog.rate_plan(session, prop, rate_plan)
    block = GroupBlock(
        id=new_id(),
        property_id=prop.id,
        name=name,
        kind=kind,
        arrival=arrival,
        departure=departure,
        release_on=release_on,
        rate_plan_id=plan.id,
    )
    session.add(block)
    session.flush()
    for code, count in sorted(rooms.items()):
        type_ = catalog.room_type(session, prop, code)
        inventory.hold(session, type_id=type_.id, stay=stay, count=count)
        session.add(BlockAllotment(block_id=block.id, room_type_id=type_.id, held=count, picked=0))
    session.flush()
    return block


def get_block(session: Session, block_id: str) -> GroupBlock:
    block = session.get(GroupBlock, block_id)
    if block is None:
        raise UnknownResource(f"no group block {block_id}")
    return block


def pick_from_block(session: Session, *, block_id: str, type_id: int, stay: Stay, prop: Property) -> None:
    """A reservation of the group takes one of the block's rooms of its type."""
    block = get_block(session, block_id)
    if block.property_id != prop.id:
        raise UnknownResource(f"no group block {block_id}")
    if block.released_at is not None:
        raise BlockExhausted("the block was released; book outside it")
    if stay.arrival < block.arrival or stay.departure > block.departure:
        raise InvalidRequest("the stay must fall within the block's dates")
    try:
        with session.begin_nested():
            done = session.execute(
                update(BlockAllotment)
                .where(
                    BlockAllotment.block_id == block_id,
                    BlockAllotment.room_type_id == type_id,
                )
                .values(picked=BlockAllotment.picked + 1)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError as exc:
        raise BlockExhausted("every room of this type in the block is taken") from exc
    if getattr(done, "rowcount", 0) != 1:
        raise BlockExhausted("the block holds no rooms of this type")


def return_to_block(session: Session, *, block_id: str, type_id: int) -> None:
    """A cancelled group reservation gives its room back (to the hotel once the block is released)."""
    block = get_block(session, block_id)
    released = block.released_at is not None
    session.execute(
        update(BlockAllotment)
        .where(
            BlockAllotment.block_id == block_id,
            BlockAllotment.room_type_id == type_id,
        )
        .values(picked=BlockAllotment.picked - 1, held=BlockAllotment.held - (1 if released else 0))
        .execution_options(synchronize_session=False)
    )
    if released:
        inventory.release(session, type_id=type_id, stay=Stay(block.arrival, block.departure))


def release(session: Session, block: GroupBlock, *, now: datetime) -> int:
    """Give every unpicked room back to general sale; returns how many were released."""
    if block.released_at is not None:
        return 0
    stay = Stay(block.arrival, block.departure)
    freed = 0
    for allot in session.scalars(select(BlockAllotment).where(BlockAllotment.block_id == block.id)):
        spare = allot.held - allot.picked
        if spare:
            inventory.release(session, type_id=allot.room_type_id, stay=stay, count=spare)
            allot.held = allot.picked
            freed += spare
    block.released_at = now
    return freed


def release_due(session: Session, *, now: datetime) -> int:
    """Release every block whose release date has come (run daily, or before availability)."""
    freed = 0
    for block in session.scalars(select(GroupBlock).where(GroupBlock.released_at.is_(None))):
        prop = session.get(Property, block.property_id)
        assert prop is not None
        if local_today(now, prop.timezone) >= block.release_on:
            freed += release(session, block, now=now)
    return freed
