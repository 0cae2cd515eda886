"""Pickup and pace over the nights ahead, from what was on the books at earlier instants
(docs/reports.md#pickup)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cloud.reports import queries
from cloud.reports.errors import InvalidReport
from cloud.reports.service import load_properties

WINDOWS = (1, 7, 30)
YEAR = timedelta(days=364)  # same weekday last year
MAX_AHEAD = 400


@dataclass
class NightPickup:
    site: str
    night: date
    rooms: int
    quoted: int
    pickup: dict[int, int] = field(default_factory=dict)  # window in days -> rooms picked up
    last_year_same_point: int = 0
    last_year_final: int = 0
    last_year_quoted_same_point: int = 0

    @property
    def pace(self) -> int:
        """Rooms ahead (+) or behind (-) last year at the same point."""
        return self.rooms - self.last_year_same_point


def pickup(session: Session, *, sites: list[str], now: datetime, nights: int = 90) -> list[NightPickup]:
    """Each night from the property's today on: on the books now, pickup over 1/7/30 days, pace."""
    if not 1 <= nights <= MAX_AHEAD:
        raise InvalidReport(f"pickup covers 1 to {MAX_AHEAD} nights")
    result: list[NightPickup] = []
    for prop in load_properties(session, sites):
        today = now.astimezone(ZoneInfo(prop.timezone)).date()
        end = today + timedelta(days=nights)
        instants = [now, *(now - timedelta(days=k) for k in WINDOWS)]
        this_year = {row[1]: row for row in queries.books_at(
            session, [prop.id], start=today, end=end, instants=instants)}
        last = {row[1]: row for row in queries.books_at(
            session, [prop.id], start=today - YEAR, end=end - YEAR, instants=[now - YEAR, now])}
        for offset in range(nights):
            night = today + timedelta(days=offset)
            row = this_year.get(night)
            before = last.get(night - YEAR)
            counts = [int(row[2 + 2 * n]) if row else 0 for n in range(len(instants))]
            entry = NightPickup(prop.slug, night, counts[0], int(row[3]) if row else 0,
                                {k: counts[0] - counts[1 + n] for n, k in enumerate(WINDOWS)})
            if before is not None:
                entry.last_year_same_point, entry.last_year_quoted_same_point = int(before[2]), int(before[3])
                entry.last_year_final = int(before[4])
            result.append(entry)
    return result
