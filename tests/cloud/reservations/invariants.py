"""Checks that the sold calendar is consistent, straight from the tables."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog.models import Room
from cloud.reservations.groups.models import BlockAllotment, GroupBlock
from cloud.reservations.models import OCCUPYING, Reservation, RoomAllocation, TypeInventory


def _nights(start, end):  # type: ignore[no-untyped-def]
    night = start
    while night < end:
        yield night
        night += timedelta(days=1)


def check_invariants(session: Session) -> None:
    """No room twice a night; inventory sold counts match the reservations; never above capacity."""
    taken: Counter[tuple[int, object]] = Counter()
    for alloc in session.scalars(select(RoomAllocation)):
        for night in _nights(alloc.start_night, alloc.end_night):
            taken[(alloc.room_id, night)] += 1
    assert all(count == 1 for count in taken.values()), "a room is held twice for a night"
    expected: Counter[tuple[int, object]] = Counter()
    for res in session.scalars(select(Reservation).where(Reservation.status.in_(OCCUPYING))):
        if res.block_id is None or res.inventory_type_id != res.room_type_id:
            for night in _nights(res.arrival, res.departure):
                expected[(res.inventory_type_id, night)] += 1
        if res.block_id is not None and res.inventory_type_id != res.room_type_id:
            block = session.get(GroupBlock, res.block_id)
            assert block is not None
            for night in _nights(block.arrival, block.departure):
                expected[(res.room_type_id, night)] -= 1
    for allot, block in session.execute(select(BlockAllotment, GroupBlock).join(GroupBlock)):
        for night in _nights(block.arrival, block.departure):
            expected[(allot.room_type_id, night)] += allot.held
    rooms_per_type = Counter(session.scalars(select(Room.room_type_id)))
    out_of_order: Counter[tuple[int, object]] = Counter()
    for alloc in session.scalars(select(RoomAllocation).where(RoomAllocation.kind == "out_of_order")):
        room = session.get(Room, alloc.room_id)
        assert room is not None
        for night in _nights(alloc.start_night, alloc.end_night):
            out_of_order[(room.room_type_id, night)] += 1
    for row in session.scalars(select(TypeInventory)):
        key = (row.room_type_id, row.night)
        assert row.sold == expected.get(key, 0), f"inventory {key}: sold {row.sold} != {expected.get(key, 0)}"
        assert row.capacity == rooms_per_type[row.room_type_id] - out_of_order.get(key, 0)
        assert 0 <= row.sold <= row.capacity
        expected.pop(key, None)
    assert not {k: v for k, v in expected.items() if v}, "sold nights without an inventory row"
    for res in session.scalars(select(Reservation).where(Reservation.status.in_(OCCUPYING))):
        for alloc in session.scalars(select(RoomAllocation).where(RoomAllocation.reservation_id == res.id)):
            assert res.arrival <= alloc.start_night and alloc.end_night <= res.departure
            room = session.get(Room, alloc.room_id)
            assert room is not None and room.room_type_id == res.inventory_type_id
    for res in session.scalars(select(Reservation).where(Reservation.status.notin_(OCCUPYING))):
        held = select(RoomAllocation).where(RoomAllocation.reservation_id == res.id)
        assert not list(session.scalars(held)), f"{res.status} reservation still holds a room"
