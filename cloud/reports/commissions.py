"""Channel commissions, computed: the room revenue of the reservations each channel sold, times the
channel's rate (``channels.commission_bp``), per property, month and channel
(docs/reports.md#commissions). Nothing is entered by hand and nothing is copied."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.billing.models import Charge, Folio
from cloud.channels.models import Channel, ChannelReservation
from cloud.reports.definitions import Grain, period_key
from cloud.reservations.models import Reservation


def commission(gross_minor: int, rate_bp: int) -> int:
    """``gross_minor`` times ``rate_bp`` / 10,000, rounded half up."""
    return (gross_minor * rate_bp * 2 + 10_000) // 20_000


def room_revenue_by_channel(session: Session, ids: Sequence[int], *, start: date,
                            end: date) -> list[tuple[int, date, str, int, int]]:
    """(property, night, channel code, rate, gross room revenue) of the channels' reservations."""
    statement = (
        select(Reservation.property_id, Charge.night, Channel.code, Channel.commission_bp,
               func.sum(Charge.gross_minor))
        .select_from(ChannelReservation)
        .join(Channel, Channel.id == ChannelReservation.channel_id)
        .join(Reservation, Reservation.id == ChannelReservation.reservation_id)
        .join(Folio, Folio.reservation_id == Reservation.id)
        .join(Charge, Charge.origin_folio_id == Folio.id)
        .where(Reservation.property_id.in_(list(ids)), Charge.kind == "room_night",
               Charge.night >= start, Charge.night < end)
        .group_by(Reservation.property_id, Charge.night, Channel.code, Channel.commission_bp))
    return [(p, n, c, int(r), int(g)) for p, n, c, r, g in session.execute(statement) if n is not None]


def monthly(session: Session, ids: Sequence[int], *, start: date,
            end: date) -> dict[tuple[int, str], dict[str, int]]:
    """(property, month) -> channel code -> commission: each month's room revenue of the channel
    summed first, then the rate applied once (one rounding per channel and month)."""
    revenue: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for prop, night, code, rate, gross in room_revenue_by_channel(session, ids, start=start, end=end):
        summed = revenue[(prop, period_key(night, Grain.MONTH), code)]
        summed[0] += gross
        summed[1] = rate
    out: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for (prop, month, code), (gross, rate) in revenue.items():
        if rate:
            out[(prop, month)][code] = commission(gross, rate)
    return dict(out)
