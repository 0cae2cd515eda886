"""The replica a node keeps: the property's rooms and the stays the desk may meet from today on
(booked arrivals and guests in house), sent whole whenever the node comes online and after each
replay of its operations. Guests' personal data is not in it yet (``guest_sealed`` stays empty).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing.models import NodeSeries
from cloud.catalog.models import Property, Room, RoomType
from cloud.core.nights import local_today
from cloud.reservations.models import HOLDING, Reservation, ReservationNight, RoomAllocation
from mqtt.node_messages import NodeReplica, ReplicaRoom, ReplicaStay

DAYS = 7


def snapshot(session: Session, *, site: str, node: str, now: datetime, days: int = DAYS) -> NodeReplica:
    """From today in the property's zone, for ``days`` nights."""
    prop = session.scalar(select(Property).where(Property.slug == site))
    if prop is None:
        raise LookupError(f"no property {site!r}")
    today = local_today(now, prop.timezone)
    codes = {t.id: t.code for t in session.scalars(select(RoomType).where(RoomType.property_id == prop.id))}
    rooms = list(session.scalars(select(Room).where(Room.property_id == prop.id).order_by(Room.number)))
    slugs = {room.id: room.slug for room in rooms}
    replica_rooms = [ReplicaRoom(room=r.slug, room_type=codes[r.room_type_id]) for r in rooms]
    stays = [
        _stay(session, res, codes=codes, slugs=slugs, today=today)
        for res in session.scalars(
            select(Reservation)
            .where(
                Reservation.property_id == prop.id,
                Reservation.status.in_(HOLDING),
                Reservation.arrival < today + timedelta(days=days),
                Reservation.departure > today,
            )
            .order_by(Reservation.arrival, Reservation.id)
        )
    ]
    series = session.scalar(select(NodeSeries.series).where(NodeSeries.site == site, NodeSeries.node == node))
    return NodeReplica(
        as_of=now, first_night=today, days=days, rooms=replica_rooms, stays=stays, invoice_series=series or ""
    )


def _stay(
    session: Session, res: Reservation, *, codes: dict[int, str], slugs: dict[int, str], today: date
) -> ReplicaStay:
    night = max(today, res.arrival)
    room_id = session.scalar(
        select(RoomAllocation.room_id).where(
            RoomAllocation.reservation_id == res.id,
            RoomAllocation.start_night <= night,
            RoomAllocation.end_night > night,
        )
    )
    rate = session.scalar(
        select(ReservationNight.amount_minor)
        .where(ReservationNight.reservation_id == res.id)
        .order_by(ReservationNight.night)
    )
    return ReplicaStay(
        reservation_id=res.id,
        status=res.status,  # type: ignore[arg-type]
        room_type=codes[res.room_type_id],
        room=slugs.get(room_id or 0, ""),
        arrival=res.arrival,
        departure=res.departure,
        rate_minor=rate,
        currency=res.currency,
    )
