"""Cancellations, no-shows, lead time and length of stay, by arrival (docs/reports.md#cancellations)."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cloud.reports import queries
from cloud.reports.definitions import LEAD_BUCKETS, STAY_BUCKETS, bucket_label, bucket_of, percent, period_key
from cloud.reports.service import CHAIN, Query, load_properties


@dataclass
class BookingRow:
    period: str
    site: str
    value: str
    reservations: int = 0
    cancelled: int = 0
    no_show: int = 0
    cancelled_nights: int = 0
    no_show_nights: int = 0
    lead_time: dict[str, int] = field(default_factory=lambda: {bucket_label(b): 0 for b in LEAD_BUCKETS})
    length_of_stay: dict[str, int] = field(default_factory=lambda: {bucket_label(b): 0 for b in STAY_BUCKETS})

    @property
    def cancellation_pct(self) -> object:
        return percent(self.cancelled, self.reservations)

    @property
    def no_show_pct(self) -> object:
        return percent(self.no_show, self.reservations)


def bookings(session: Session, query: Query) -> list[BookingRow]:
    props = {p.id: p for p in load_properties(session, query.sites)}
    zones = {i: ZoneInfo(p.timezone) for i, p in props.items()}
    found: dict[tuple[str, str, str], BookingRow] = {}
    for prop_id, arrival, departure, created, status, value in queries.arrivals(
            session, list(props), start=query.start, end=query.end, dim=query.dimension):
        site = props[prop_id].slug if query.per_property else CHAIN
        key = (period_key(arrival, query.grain), site, str(value))
        row = found.setdefault(key, BookingRow(*key))
        nights = (departure - arrival).days
        row.reservations += 1
        if status == "cancelled":
            row.cancelled += 1
            row.cancelled_nights += nights
        elif status == "no_show":
            row.no_show += 1
            row.no_show_nights += nights
        else:
            made = created.astimezone(zones[prop_id]).date()
            row.lead_time[bucket_of((arrival - made).days, LEAD_BUCKETS)] += 1
            row.length_of_stay[bucket_of(nights, STAY_BUCKETS)] += 1
    return sorted(found.values(), key=lambda r: (r.period, r.site, r.value))
