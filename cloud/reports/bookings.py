"""Cancellations, no-shows, lead time and length of stay, by arrival (docs/reports.md#cancellations)."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cloud.reports import queries
from cloud.reports.definitions import (
    LEAD_BUCKETS,
    STAY_BUCKETS,
    Grain,
    bucket_label,
    bucket_of,
    percent,
    period_key,
)
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
    found: dict[tuple[str, str, str], BookingRow] = {}
    postgres = session.get_bind().dialect.name == "postgresql"
    for prop in load_properties(session, query.sites):
        site = prop.slug if query.per_property else CHAIN
        if postgres:  # summed in the database
            _summed(session, query, prop, site, found)
        else:
            _row_by_row(session, query, prop, site, found)
    return sorted(found.values(), key=lambda r: (r.period, r.site, r.value))


def _row(found: dict[tuple[str, str, str], BookingRow], period: str, site: str, value: object) -> BookingRow:
    key = (period, site, str(value))
    return found.setdefault(key, BookingRow(*key))


def _count(row: BookingRow, *, status: str, count: int, nights: int, lead: str, stay: str) -> None:
    row.reservations += count
    if status == "cancelled":
        row.cancelled += count
        row.cancelled_nights += nights
    elif status == "no_show":
        row.no_show += count
        row.no_show_nights += nights
    else:
        row.lead_time[lead] += count
        row.length_of_stay[stay] += count


def _summed(session: Session, query: Query, prop: queries.PropertyRow, site: str,
            found: dict[tuple[str, str, str], BookingRow]) -> None:
    grain = "day" if query.grain is Grain.DAY else query.grain.value
    for first, value, status, lead, stay, count, nights in queries.arrival_buckets(
            session, prop, start=query.start, end=query.end, grain=grain, dim=query.dimension):
        row = _row(found, period_key(first, query.grain), site, value)
        _count(row, status=status, count=int(count), nights=int(nights), lead=lead, stay=stay)


def _row_by_row(session: Session, query: Query, prop: queries.PropertyRow, site: str,
                found: dict[tuple[str, str, str], BookingRow]) -> None:
    zone = ZoneInfo(prop.timezone)
    for _, arrival, departure, created, status, value in queries.arrivals(
            session, [prop.id], start=query.start, end=query.end, dim=query.dimension):
        nights = (departure - arrival).days
        lead = (arrival - created.astimezone(zone).date()).days
        _count(_row(found, period_key(arrival, query.grain), site, value), status=status, count=1,
               nights=nights, lead=bucket_of(lead, LEAD_BUCKETS), stay=bucket_of(nights, STAY_BUCKETS))
