"""The feeds a channel subscribes to: nights a room type cannot be sold, or a room is taken.

All-day events (DTEND exclusive), one per run of unavailable nights, from today over the horizon.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import icalendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog.models import Property, Room
from cloud.channels.ari import night_values
from cloud.channels.models import Channel, ChannelMapping
from cloud.channels.port import merge_spans
from cloud.core.nights import local_today
from cloud.reservations.models import RoomAllocation

PRODID = "-//Posada//Channel manager//EN"


def type_feed(
    session: Session, channel: Channel, mapping: ChannelMapping, *, now: datetime, horizon_days: int
) -> bytes:
    """Busy where the type has no room left, is closed, or has no price under the mapped plan."""
    prop, first, last = _window(session, channel, now, horizon_days)
    values = night_values(
        session,
        type_id=mapping.room_type_id,
        plan_id=mapping.rate_plan_id,
        markup_bp=channel.markup_bp,
        first=first,
        last=last,
    )
    busy = merge_spans([(n, n) for n, v in values if not v.open])
    return _calendar(prop, f"{prop.slug}-{mapping.room_code}", busy, now=now, name=mapping.room_code)


def room_feed(session: Session, channel: Channel, room: Room, *, now: datetime, horizon_days: int) -> bytes:
    """Busy where the room is held by a stay or out of order."""
    prop, first, last = _window(session, channel, now, horizon_days)
    spans = [
        (max(s, first), min(e - timedelta(days=1), last))
        for s, e in session.execute(
            select(RoomAllocation.start_night, RoomAllocation.end_night).where(
                RoomAllocation.room_id == room.id,
                RoomAllocation.end_night > first,
                RoomAllocation.start_night <= last,
            )
        )
    ]
    return _calendar(prop, f"{prop.slug}-room-{room.slug}", merge_spans(spans), now=now, name=room.slug)


def mapped_types(session: Session, channel: Channel) -> dict[str, ChannelMapping]:
    """The channel's mappings by room code (the feed's name); the first plan of a type wins."""
    out: dict[str, ChannelMapping] = {}
    for m in session.scalars(
        select(ChannelMapping).where(ChannelMapping.channel_id == channel.id).order_by(ChannelMapping.id)
    ):
        out.setdefault(m.room_code, m)
    return out


def mapped_room(session: Session, channel: Channel, slug: str) -> Room | None:
    """A room of a type the channel sells (others are not exported)."""
    types = {m.room_type_id for m in mapped_types(session, channel).values()}
    room = session.scalar(select(Room).where(Room.property_id == channel.property_id, Room.slug == slug))
    return room if room is not None and room.room_type_id in types else None


def _window(
    session: Session, channel: Channel, now: datetime, horizon_days: int
) -> tuple[Property, date, date]:
    prop = session.get(Property, channel.property_id)
    assert prop is not None
    first = local_today(now, prop.timezone)
    return prop, first, first + timedelta(days=horizon_days - 1)


def _calendar(
    prop: Property, prefix: str, busy: list[tuple[date, date]], *, now: datetime, name: str
) -> bytes:
    cal = icalendar.Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("X-WR-CALNAME", f"{prop.name} {name}")
    cal.add("X-WR-TIMEZONE", prop.timezone)
    for start, last in busy:
        event = icalendar.Event()
        event.add("UID", f"{prefix}-{start.isoformat()}@posada")
        event.add("DTSTAMP", now)
        event.add("DTSTART", start)
        event.add("DTEND", last + timedelta(days=1))  # exclusive: the morning after the last night
        event.add("SUMMARY", "Not available")
        event.add("TRANSP", "OPAQUE")
        cal.add_component(event)
    return bytes(cal.to_ical())
