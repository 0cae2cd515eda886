"""Holding a physical room for nights; the database refuses a second holder of any night."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from cloud.auth.audit import record
from cloud.core.nights import Stay
from cloud.reservations.errors import RoomUnavailable
from cloud.reservations.models import RoomAllocation, RoomNight
from cloud.reservations.sales.assignment import Interval

DEADLOCK = "40P01"


def allocate(
    session: Session,
    *,
    room_id: int,
    stay: Stay,
    reservation_id: str | None,
    kind: str = "stay",
    note: str = "",
) -> int:
    """Hold a room for the stay's nights or raise RoomUnavailable; returns the allocation id."""
    try:
        with session.begin_nested():
            allocation_id = session.execute(
                insert(RoomAllocation)
                .values(
                    room_id=room_id,
                    reservation_id=reservation_id,
                    kind=kind,
                    note=note,
                    start_night=stay.arrival,
                    end_night=stay.departure,
                )
                .returning(RoomAllocation.id)
            ).scalar_one()
            if session.get_bind().dialect.name == "sqlite":
                session.execute(
                    insert(RoomNight),
                    [
                        {"room_id": room_id, "night": night, "allocation_id": allocation_id}
                        for night in stay.each_night()
                    ],
                )
    except IntegrityError as exc:
        raise RoomUnavailable(
            f"room {room_id} is not free for every night from {stay.arrival} to {stay.departure}",
            room_id=room_id,
        ) from exc
    except OperationalError as exc:
        # Two inserts for the same room and nights can deadlock on the exclusion check.
        if getattr(exc.orig, "sqlstate", None) == DEADLOCK:
            raise RoomUnavailable(f"room {room_id} was taken concurrently", room_id=room_id) from exc
        raise
    held(session, allocation_id=int(allocation_id), room_id=room_id, reservation_id=reservation_id,
         stay=stay, kind=kind)
    return int(allocation_id)


def held(session: Session, *, allocation_id: int, room_id: int, reservation_id: str | None, stay: Stay,
         kind: str = "stay") -> None:
    """The audit entry of a room allocation written by a plain statement (the unit of work, and so
    the trail's listener, never sees it): which room, for which stay, which nights."""
    after = {"room_id": room_id, "reservation_id": reservation_id, "kind": kind,
             "start_night": stay.arrival.isoformat(), "end_night": stay.departure.isoformat()}
    record(session, "stay_room.create", "stay_room", str(allocation_id), {"after": after})


def release_stay(session: Session, *, reservation_id: str, from_night: date | None = None) -> None:
    """Free a reservation's rooms (all of them, or from a night on: an early departure)."""
    if from_night is None:
        gone = session.execute(delete(RoomAllocation).where(RoomAllocation.reservation_id == reservation_id)
                               .returning(RoomAllocation.id, RoomAllocation.room_id)).all()
        for allocation_id, room_id in gone:  # a plain statement: recorded here, as the listener would
            record(session, "stay_room.delete", "stay_room", str(allocation_id),
                   {"before": {"room_id": room_id, "reservation_id": reservation_id}})
        return
    for allocation in stay_allocations(session, reservation_id):
        if allocation.start_night >= from_night:
            session.delete(allocation)
        elif allocation.end_night > from_night:
            room_id, start = allocation.room_id, allocation.start_night
            session.delete(allocation)
            session.flush()
            allocate(session, room_id=room_id, stay=Stay(start, from_night), reservation_id=reservation_id)
    session.flush()


def stay_allocations(session: Session, reservation_id: str) -> list[RoomAllocation]:
    return list(
        session.scalars(
            select(RoomAllocation)
            .where(RoomAllocation.reservation_id == reservation_id)
            .order_by(RoomAllocation.start_night)
        )
    )


def busy_map(
    session: Session, *, room_ids: Sequence[int], around: Stay, margin_days: int = 60
) -> dict[int, list[Interval]]:
    """Held intervals of the rooms near a stay (for assignment's packing)."""
    lo, hi = around.arrival - timedelta(days=margin_days), around.departure + timedelta(days=margin_days)
    rows = session.execute(
        select(RoomAllocation.room_id, RoomAllocation.start_night, RoomAllocation.end_night).where(
            RoomAllocation.room_id.in_(room_ids),
            RoomAllocation.start_night < hi,
            RoomAllocation.end_night > lo,
        )
    )
    busy: dict[int, list[Interval]] = {}
    for room_id, start, end in rows:
        busy.setdefault(room_id, []).append((start, end))
    return busy
