"""Channel commissions, computed: the room revenue of the reservations each channel sold, times the
channel's rate in force on the local date each reservation was booked (``commission_rates``), per
property, month and channel (docs/reports.md#commissions). Nothing is entered by hand and nothing
is copied."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import String, func, select
from sqlalchemy.orm import Session

from cloud.billing.models import Charge, Folio
from cloud.catalog.models import Property
from cloud.channels.models import Channel, ChannelReservation
from cloud.reports.commission_rates import rates_of
from cloud.reservations.models import Reservation


def commission(gross_minor: int, rate_bp: int) -> int:
    """``gross_minor`` times ``rate_bp`` / 10,000, rounded half up."""
    return (gross_minor * rate_bp * 2 + 10_000) // 20_000


def room_revenue_by_channel(session: Session, ids: Sequence[int], *, start: date,
                            end: date) -> list[tuple[int, str, int, str, datetime, int]]:
    """(property, month, channel id, channel code, when the reservation was made, gross room revenue)
    of the channels' reservations, one row per reservation and month of its nights."""
    month = func.substr(func.cast(Charge.night, String), 1, 7)
    statement = (
        select(Reservation.property_id, month, Channel.id, Channel.code, Reservation.created_at,
               func.sum(Charge.gross_minor))
        .select_from(ChannelReservation)
        .join(Channel, Channel.id == ChannelReservation.channel_id)
        .join(Reservation, Reservation.id == ChannelReservation.reservation_id)
        .join(Folio, Folio.reservation_id == Reservation.id)
        .join(Charge, Charge.origin_folio_id == Folio.id)
        .where(Reservation.property_id.in_(list(ids)), Charge.kind == "room_night",
               Charge.night >= start, Charge.night < end)
        .group_by(Reservation.property_id, month, Channel.id, Channel.code, Reservation.id,
                  Reservation.created_at))
    return [(p, str(m), c, code, made, int(g)) for p, m, c, code, made, g in session.execute(statement)]


def monthly(session: Session, ids: Sequence[int], *, start: date,
            end: date) -> dict[tuple[int, str], dict[str, int]]:
    """(property, month) -> channel code -> commission: each month's room revenue of the channel at
    each rate summed first, then the rate applied once (one rounding per channel, month and rate)."""
    rows = room_revenue_by_channel(session, ids, start=start, end=end)
    zones = {p: ZoneInfo(tz) for p, tz in session.execute(
        select(Property.id, Property.timezone).where(Property.id.in_(list(ids))))}
    rates = rates_of(session, {row[2] for row in rows})
    revenue: dict[tuple[int, str, str, int], int] = defaultdict(int)
    for prop, month, channel, code, made, gross in rows:
        booked = (made if made.tzinfo else made.replace(tzinfo=UTC)).astimezone(zones[prop]).date()
        revenue[(prop, month, code, rates[channel].on(booked))] += gross
    out: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for (prop, month, code, rate), gross in revenue.items():
        if rate:
            by_channel = out[(prop, month)]
            by_channel[code] = by_channel.get(code, 0) + commission(gross, rate)
    return dict(out)
