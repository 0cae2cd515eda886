"""What the API and the channel page read: a channel with its mappings, sync state and queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.catalog.models import Property, RatePlan, Room, RoomType
from cloud.channels import registry
from cloud.channels.credentials import Credentials
from cloud.channels.models import (
    Channel,
    ChannelMessage,
    ChannelProblem,
    ChannelReservation,
    ChannelSync,
)
from cloud.channels.schemas import (
    ChannelOut,
    ChannelReservationOut,
    MappingOut,
    MessageOut,
    ProblemOut,
    SyncOut,
)
from cloud.core.money import div_round_half_away

PROBLEMS_SHOWN = 50
MESSAGES_SHOWN = 100


def channel_out(session: Session, channel: Channel) -> ChannelOut:
    types = dict(session.execute(select(RoomType.id, RoomType.code)).all())
    plans = dict(session.execute(select(RatePlan.id, RatePlan.code)).all())
    counts = dict(
        session.execute(
            select(ChannelMessage.status, func.count())
            .where(ChannelMessage.channel_id == channel.id)
            .group_by(ChannelMessage.status)
        ).all()
    )
    return ChannelOut(
        code=channel.code,
        name=channel.name,
        kind=channel.kind,
        markup_bp=channel.markup_bp,
        paused=channel.paused,
        hotel_code=channel.hotel_code,
        endpoint_url=channel.endpoint_url,
        calls_per_minute=channel.calls_per_minute,
        credentials=(Credentials.from_stored(channel.credentials) or Credentials()).described(),
        commission_bp=channel.commission_bp,
        mappings=[
            MappingOut(
                id=m.id,
                room_type=types.get(m.room_type_id, "?"),
                rate_plan=plans.get(m.rate_plan_id, "?"),
                room_code=m.room_code,
                rate_code=m.rate_code,
                import_url=m.import_url,
                occupancy_bp=m.occupancy_bp,
            )
            for m in registry.mappings(session, channel.id)
        ],
        syncs=[
            SyncOut(
                direction=s.direction,
                last_ok_at=s.last_ok_at,
                last_error_at=s.last_error_at,
                last_error=s.last_error,
            )
            for s in session.scalars(
                select(ChannelSync)
                .where(ChannelSync.channel_id == channel.id)
                .order_by(ChannelSync.direction)
            )
        ],
        queued=int(counts.get("queued", 0)),
        failed=int(counts.get("failed", 0)),
    )


def feeds(session: Session, channel: Channel, secret: str) -> list[str]:
    """Paths of the channel's export feeds: one per mapped room type, one per room of those types."""
    base = f"/channels/ical/{secret}"
    mapped = {m.room_type_id: m.room_code for m in registry.mappings(session, channel.id)}
    rooms = session.scalars(select(Room.slug).where(Room.room_type_id.in_(mapped)).order_by(Room.slug))
    return [
        *(f"{base}/types/{code}.ics" for code in sorted(set(mapped.values()))),
        *(f"{base}/rooms/{slug}.ics" for slug in rooms),
    ]


def messages(session: Session, channel: Channel) -> list[MessageOut]:
    types = dict(session.execute(select(RoomType.id, RoomType.code)).all())
    rows = session.scalars(
        select(ChannelMessage)
        .where(ChannelMessage.channel_id == channel.id)
        .order_by(ChannelMessage.status.desc(), ChannelMessage.id)
        .limit(MESSAGES_SHOWN)
    )
    return [
        MessageOut(
            id=m.id,
            kind=m.kind,
            room_type=types.get(m.room_type_id, "?"),
            first_night=m.first_night,
            last_night=m.last_night,
            status=m.status,
            attempts=m.attempts,
            next_at=m.next_at,
            last_error=m.last_error,
        )
        for m in rows
    ]


def problems(session: Session, channel: Channel) -> list[ProblemOut]:
    rows = session.scalars(
        select(ChannelProblem)
        .where(ChannelProblem.channel_id == channel.id)
        .order_by(ChannelProblem.id.desc())
        .limit(PROBLEMS_SHOWN)
    )
    return [ProblemOut(at=p.at, source=p.source, reason=p.reason) for p in rows]


def reservations(
    session: Session, prop: Property, *, statuses: tuple[str, ...] | None = None, limit: int = 200
) -> list[ChannelReservationOut]:
    """A property's channel reservations, newest first (``statuses``: e.g. the overbookings)."""
    query = (
        select(ChannelReservation, Channel.code, RoomType.code, Channel.commission_bp)
        .join(Channel, Channel.id == ChannelReservation.channel_id)
        .join(RoomType, RoomType.id == ChannelReservation.room_type_id)
        .where(Channel.property_id == prop.id)
    )
    if statuses:
        query = query.where(ChannelReservation.status.in_(statuses))
    rows = session.execute(
        query.order_by(ChannelReservation.id.desc(), ChannelReservation.room_index).limit(limit)
    )
    return [_reservation_out(r, code, type_code, commission_bp) for r, code, type_code, commission_bp in rows]


def _reservation_out(
    r: ChannelReservation, code: str, type_code: str, commission_bp: int
) -> ChannelReservationOut:
    detail = r.detail or {}
    folio = None if detail.get("folio_minor") is None else int(detail["folio_minor"])
    gross = int(detail.get("gross_minor", folio)) if folio is not None else None  # as reports count it
    return ChannelReservationOut(
        channel=code,
        confirmation=r.confirmation,
        status=r.status,
        reservation_id=r.reservation_id,
        room_type=type_code,
        arrival=r.arrival,
        departure=r.departure,
        guest_name=r.guest_name,
        total_minor=r.total_minor,
        currency=r.currency,
        conflict=detail.get("conflict"),
        room_index=r.room_index,
        folio_minor=folio,
        ours_minor=r.ours_minor,
        difference_minor=None if folio is None or r.ours_minor is None else folio - r.ours_minor,
        commission_minor=None if gross is None else div_round_half_away(gross * commission_bp, 10_000),
        tax_note=detail.get("tax_note"),
    )


def of_reservation(session: Session, reservation_id: str) -> tuple[str, str, str] | None:
    """(channel code, channel name, the channel's confirmation number) of one of ours, if any."""
    row = session.execute(
        select(Channel.code, Channel.name, ChannelReservation.confirmation)
        .join(Channel, Channel.id == ChannelReservation.channel_id)
        .where(ChannelReservation.reservation_id == reservation_id)
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def stay_panel(db: Session, res: Any, prop: Property, *, now: datetime) -> dict[str, Any]:
    """The stay page's line naming the channel that sold it and its confirmation number."""
    found = of_reservation(db, res.id)
    return {} if found is None else {"code": found[0], "name": found[1], "confirmation": found[2]}
