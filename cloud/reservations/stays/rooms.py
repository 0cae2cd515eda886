"""Putting reservations into rooms: automatic assignment, upgrades, split stays, front-desk moves."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import Protocol

from sqlalchemy import and_, exists, func, literal_column, select
from sqlalchemy.orm import Session

from cloud.catalog.models import Floor, Room, RoomType
from cloud.core.nights import Stay
from cloud.reservations.errors import InvalidRequest, RoomUnavailable, SoldOut, WrongState
from cloud.reservations.models import Reservation, RoomAllocation
from cloud.reservations.sales import allocation, inventory
from cloud.reservations.sales.assignment import (
    Candidate,
    Preferences,
    RoomInfo,
    rank_rooms,
    split_stay,
)
from cloud.reservations.sales.sale import FreeRoom
from cloud.reservations.sales.sellable import Sellable

log = logging.getLogger(__name__)
TRIES = 8


def _overlapping(stay: Stay, dialect: str) -> object:
    if dialect == "postgresql":  # served by the exclusion constraint's GiST index
        return literal_column("room_allocations.stay").op("&&")(
            func.daterange(stay.arrival, stay.departure, "[)")
        )
    return and_(RoomAllocation.start_night < stay.departure, RoomAllocation.end_night > stay.arrival)


def free_candidates(session: Session, *, type_ids: Sequence[int], stay: Stay) -> list[Candidate]:
    """Rooms of the types free for every night of the stay, with the free run around the stay."""
    dialect = session.get_bind().dialect.name
    held = exists().where(RoomAllocation.room_id == Room.id, _overlapping(stay, dialect))  # type: ignore[arg-type]
    # Stays of a room never overlap, so its nearest neighbours are one index probe each.
    before = (
        select(RoomAllocation.end_night)
        .where(RoomAllocation.room_id == Room.id, RoomAllocation.start_night < stay.arrival)
        .order_by(RoomAllocation.start_night.desc())
        .limit(1)
        .scalar_subquery()
    )
    after = (
        select(RoomAllocation.start_night)
        .where(RoomAllocation.room_id == Room.id, RoomAllocation.start_night >= stay.departure)
        .order_by(RoomAllocation.start_night)
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Room.id,
            Room.room_type_id,
            RoomType.rank,
            Floor.slug,
            Room.view,
            Room.accessible,
            Room.near_lift,
            before,
            after,
        )
        .join(RoomType, RoomType.id == Room.room_type_id)
        .join(Floor, Floor.id == Room.floor_id)
        .where(Room.room_type_id.in_(type_ids), ~held)
    )  # plain columns: hundreds of rooms, no ORM objects
    return [
        Candidate(
            RoomInfo(
                id=r[0], type_id=r[1], type_rank=r[2], floor=r[3], view=r[4], accessible=r[5], near_lift=r[6]
            ),
            r[7],
            r[8],
        )
        for r in rows
    ]


def _info(room: Room, rank: int, floor: str) -> RoomInfo:
    return RoomInfo(
        id=room.id,
        type_id=room.room_type_id,
        type_rank=rank,
        floor=floor,
        view=room.view,
        accessible=room.accessible,
        near_lift=room.near_lift,
    )


def preferences_of(session: Session, res: Reservation) -> Preferences:
    raw = res.preferences or {}
    last_room = None
    if raw.get("same_room_as_last_stay") and res.guest_id:
        last_room = session.scalar(
            select(RoomAllocation.room_id)
            .join(Reservation, Reservation.id == RoomAllocation.reservation_id)
            .where(
                Reservation.guest_id == res.guest_id,
                Reservation.id != res.id,
                Reservation.departure <= res.arrival,
            )
            .order_by(Reservation.departure.desc())
            .limit(1)
        )
    return Preferences(
        floor=raw.get("floor"),
        view=raw.get("view"),
        accessible=bool(raw.get("accessible")),
        near_lift=bool(raw.get("near_lift")),
        room_id=last_room,
    )


def rank_free(
    session: Session, res: Reservation, *, free: Sequence[FreeRoom], offer: Sellable, rank: int
) -> list[RoomInfo]:
    """Free rooms of the reservation's type, best first; room features come from the catalog copy."""
    stay, known = Stay(res.arrival, res.departure), offer.rooms
    # plain tuples of Candidate's shape: a booking ranks every free room of its type (hundreds)
    candidates = [(known[room_id], start, end) for room_id, start, end in free if room_id in known]
    return rank_rooms(
        candidates,
        stay=stay,
        type_id=res.inventory_type_id,
        base_rank=rank,
        prefs=preferences_of(session, res),
        allow_upgrade=False,
    )


def assign(
    session: Session,
    res: Reservation,
    *,
    allow_upgrade: bool = True,
    fresh: bool = False,
    tried: bool = False,
) -> bool:
    """Give an unassigned reservation its room(s); False leaves it unassigned (still sold).

    ``tried``: the best rooms of its own type were tried already (booking does that itself).
    """
    if not fresh and allocation.stay_allocations(session, res.id):
        return True
    stay, prefs = Stay(res.arrival, res.departure), preferences_of(session, res)
    own = session.get(RoomType, res.inventory_type_id)
    assert own is not None
    if not tried:
        ranked = rank_rooms(
            free_candidates(session, type_ids=[own.id], stay=stay),
            stay=stay,
            type_id=own.id,
            base_rank=own.rank,
            prefs=prefs,
            allow_upgrade=False,
        )
        if _try_rooms(session, res, ranked[:TRIES], stay):
            return True
    if allow_upgrade and _try_upgrade(session, res, own, stay, prefs):
        return True  # one better room beats moving the guest mid-stay
    return _try_split(session, res, own.id, stay, prefs)


def _try_rooms(session: Session, res: Reservation, rooms: Sequence[RoomInfo], stay: Stay) -> bool:
    for room in rooms:
        try:
            allocation.allocate(session, room_id=room.id, stay=stay, reservation_id=res.id)
            return True
        except RoomUnavailable:
            continue  # taken meanwhile: the next best room
    return False


def _try_split(session: Session, res: Reservation, type_id: int, stay: Stay, prefs: Preferences) -> bool:
    infos = [_info(r, 0, "") for r in session.scalars(select(Room).where(Room.room_type_id == type_id))]
    busy = allocation.busy_map(session, room_ids=[i.id for i in infos], around=stay, margin_days=0)
    segments = split_stay(infos, busy, stay=stay, type_id=type_id, prefs=prefs)
    if not segments:
        return False
    try:
        with session.begin_nested():
            for seg in segments:
                allocation.allocate(
                    session, room_id=seg.room_id, stay=Stay(seg.arrival, seg.departure), reservation_id=res.id
                )
    except RoomUnavailable:
        return False
    log.info("reservation %s split over %d rooms", res.id, len(segments))
    return True


def _try_upgrade(session: Session, res: Reservation, own: RoomType, stay: Stay, prefs: Preferences) -> bool:
    better = list(
        session.scalars(
            select(RoomType.id).where(RoomType.property_id == own.property_id, RoomType.rank > own.rank)
        )
    )
    ranked = rank_rooms(
        free_candidates(session, type_ids=better, stay=stay),
        stay=stay,
        type_id=own.id,
        base_rank=own.rank,
        prefs=prefs,
        allow_upgrade=True,
    )
    for room in ranked[:TRIES]:
        try:
            with session.begin_nested():
                inventory.hold(session, type_id=room.type_id, stay=stay)
                inventory.release(session, type_id=own.id, stay=stay)
                allocation.allocate(session, room_id=room.id, stay=stay, reservation_id=res.id)
        except (SoldOut, RoomUnavailable):
            continue
        res.inventory_type_id = room.type_id
        log.info("reservation %s upgraded to room %s", res.id, room.id)
        return True
    return False


class RoomMoved(Protocol):
    """What follows a stay to its new room (its facility slots' card access, ...), in the move's
    own transaction; ``from_night`` is the first night in the new room."""

    def __call__(self, session: Session, res: Reservation, *, from_night: date) -> None: ...


def move(
    session: Session,
    res: Reservation,
    *,
    room: Room,
    from_night: date | None = None,
    hooks: Sequence[RoomMoved] = (),
) -> None:
    """Front desk override: the stay (or its rest from a night on) goes to this room."""
    if res.status not in ("booked", "checked_in"):
        raise WrongState(f"a {res.status} reservation has no room to move")
    start = res.arrival if from_night is None else from_night
    if not res.arrival <= start < res.departure:
        raise InvalidRequest("from_night must be a night of the stay")
    stay = Stay(start, res.departure)
    if room.room_type_id != res.inventory_type_id:
        if start != res.arrival:
            raise InvalidRequest("a move to another room type covers the whole stay")
        inventory.hold(session, type_id=room.room_type_id, stay=stay)
        inventory.release(session, type_id=res.inventory_type_id, stay=stay)
        res.inventory_type_id = room.room_type_id
    allocation.release_stay(session, reservation_id=res.id, from_night=start)
    allocation.allocate(session, room_id=room.id, stay=stay, reservation_id=res.id)
    for hook in hooks:
        hook(session, res, from_night=start)
