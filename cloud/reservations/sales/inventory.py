"""Per-type inventory rows: sold counts per (room type, night), checked against capacity by the database."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Date, Integer, bindparam, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.catalog.models import Room
from cloud.core.nights import Stay
from cloud.reservations.errors import SoldOut
from cloud.reservations.models import RoomAllocation, TypeInventory

# The missing nights of a stay with their capacity (rooms of the type not yet retired, less those
# out of order that night), in one statement, in night order (PostgreSQL).
_CREATE_ROWS_SQL = """
INSERT INTO type_inventory (room_type_id, night, sold, capacity)
SELECT :type_id, n.night, 0, GREATEST(
    (SELECT count(*) FROM rooms r WHERE r.room_type_id = :type_id
        AND (r.retired_from IS NULL OR r.retired_from > n.night))
    - (SELECT count(*) FROM room_allocations a JOIN rooms r ON r.id = a.room_id
        WHERE r.room_type_id = :type_id AND a.kind = 'out_of_order'
        AND a.start_night <= n.night AND a.end_night > n.night), 0)
FROM (SELECT CAST(d AS date) AS night
      FROM generate_series(CAST(:arrival AS date), CAST(:departure AS date) - 1, interval '1 day') AS d) AS n
WHERE NOT EXISTS (SELECT 1 FROM type_inventory i WHERE i.room_type_id = :type_id AND i.night = n.night)
ORDER BY n.night
ON CONFLICT DO NOTHING
"""
# the same for psycopg's own connection (``sale.Sale``), its parameters named as psycopg names them
CREATE_ROWS_PG = re.sub(r":(type_id|arrival|departure)\b", r"%(\1)s", _CREATE_ROWS_SQL)
_CREATE_ROWS = text(_CREATE_ROWS_SQL).bindparams(
    bindparam("type_id", type_=Integer), bindparam("arrival", type_=Date), bindparam("departure", type_=Date))


def ensure_rows(session: Session, *, type_id: int, stay: Stay) -> None:
    """Create missing inventory rows for the stay's nights with the type's capacity on each night."""
    if session.get_bind().dialect.name == "postgresql":
        params = {"type_id": type_id, "arrival": stay.arrival, "departure": stay.departure}
        session.execute(_CREATE_ROWS, params)
        return
    have = set(
        session.scalars(
            select(TypeInventory.night).where(
                TypeInventory.room_type_id == type_id,
                TypeInventory.night >= stay.arrival,
                TypeInventory.night < stay.departure,
            )
        )
    )
    missing = [night for night in stay.each_night() if night not in have]
    if not missing:
        return
    retired = list(session.scalars(select(Room.retired_from).where(Room.room_type_id == type_id)))
    out = _out_of_order_counts(session, type_id=type_id, stay=stay)
    rows = [
        {"room_type_id": type_id, "night": n, "sold": 0,
         "capacity": max(_rooms_on(retired, n) - out.get(n, 0), 0)}
        for n in missing
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(TypeInventory).values(rows).on_conflict_do_nothing())


def _rooms_on(retired: list[date | None], night: date) -> int:
    """Rooms of the type still sold on the night (a retired room is not, from its retirement on)."""
    return sum(1 for since in retired if since is None or since > night)


def _out_of_order_counts(session: Session, *, type_id: int, stay: Stay) -> dict[date, int]:
    periods = session.execute(
        select(RoomAllocation.start_night, RoomAllocation.end_night)
        .join(Room, Room.id == RoomAllocation.room_id)
        .where(
            Room.room_type_id == type_id,
            RoomAllocation.kind == "out_of_order",
            RoomAllocation.start_night < stay.departure,
            RoomAllocation.end_night > stay.arrival,
        )
    )
    counts: dict[date, int] = {}
    for start, end in periods:
        for night in stay.each_night():
            if start <= night < end:
                counts[night] = counts.get(night, 0) + 1
    return counts


def adjust(session: Session, *, type_id: int, stay: Stay, sold: int = 0, capacity: int = 0) -> None:
    """Add to sold and/or capacity on every night; the CHECK refuses overselling (SoldOut).

    Inside a savepoint, so the caller's transaction stays usable after a refusal.
    """
    change = {"sold": TypeInventory.sold + sold, "capacity": TypeInventory.capacity + capacity}
    try:
        with session.begin_nested():
            _apply(session, change, type_id=type_id, stay=stay)
    except IntegrityError as exc:
        raise SoldOut(
            f"no room of this type is left for every night from {stay.arrival} to {stay.departure}"
        ) from exc


def _apply(session: Session, change: dict[str, Any], *, type_id: int, stay: Stay) -> None:
    """Create the missing nights first, then lock every night in night order, then change them.

    Nothing is locked while rows are created, and locks are taken in one order, so concurrent
    sales (the first of a night among them) cannot deadlock each other on PostgreSQL.
    """
    ensure_rows(session, type_id=type_id, stay=stay)
    of_stay = (
        TypeInventory.room_type_id == type_id,
        TypeInventory.night >= stay.arrival,
        TypeInventory.night < stay.departure,
    )
    if session.get_bind().dialect.name == "postgresql":  # SQLite has one writer at a time
        session.execute(
            select(TypeInventory.night).where(*of_stay).order_by(TypeInventory.night).with_for_update()
        )
    session.execute(
        update(TypeInventory).where(*of_stay).values(change).execution_options(synchronize_session=False)
    )


def hold(session: Session, *, type_id: int, stay: Stay, count: int = 1) -> None:
    adjust(session, type_id=type_id, stay=stay, sold=count)


def release(session: Session, *, type_id: int, stay: Stay, count: int = 1) -> None:
    adjust(session, type_id=type_id, stay=stay, sold=-count)


def free_by_type(session: Session, *, type_ids: Sequence[int], stay: Stay) -> dict[int, int]:
    """Rooms left to sell on the stay's tightest night, per type (rows not yet created are empty)."""
    counts = {
        type_id: count
        for type_id, count in session.execute(
            select(Room.room_type_id, func.count())
            .where(Room.room_type_id.in_(type_ids),
                   or_(Room.retired_from.is_(None), Room.retired_from > stay.arrival))
            .group_by(Room.room_type_id)
        )
    }
    free = {t: int(counts.get(t, 0)) for t in type_ids}
    rows = session.execute(
        select(TypeInventory.room_type_id, func.min(TypeInventory.capacity - TypeInventory.sold))
        .where(
            TypeInventory.room_type_id.in_(type_ids),
            TypeInventory.night >= stay.arrival,
            TypeInventory.night < stay.departure,
        )
        .group_by(TypeInventory.room_type_id)
    )
    for type_id, left in rows:
        free[type_id] = min(free[type_id], int(left))
    return free
