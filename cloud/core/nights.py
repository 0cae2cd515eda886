"""Local nights and instants of a property: a stay is the nights [arrival, departure)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_NIGHTS = 731  # two years: long stays included
FIRST, LAST = date(2000, 1, 1), date(2199, 12, 31)  # dates a hotel can mean (and date arithmetic survives)


@dataclass(frozen=True)
class Stay:
    arrival: date
    departure: date

    def __post_init__(self) -> None:
        if self.arrival < FIRST or self.departure > LAST:
            raise ValueError(f"dates of stay fall between {FIRST} and {LAST}")
        if self.departure <= self.arrival:
            raise ValueError("departure must be after arrival")
        if (self.departure - self.arrival).days > MAX_NIGHTS:
            raise ValueError(f"a stay is at most {MAX_NIGHTS} nights")

    @property
    def nights(self) -> int:
        return (self.departure - self.arrival).days

    def each_night(self) -> Iterator[date]:
        for offset in range(self.nights):
            yield self.arrival + timedelta(days=offset)

    def overlaps(self, other: Stay) -> bool:
        return self.arrival < other.departure and other.arrival < self.departure


def local_instant(day: date, at: time, zone: str) -> datetime:
    """The aware UTC instant of a local wall-clock time; a time skipped by DST moves forward."""
    # fold=0 (PEP 495): a time in a spring-forward gap maps past the gap; an ambiguous
    # autumn time maps to its first occurrence.
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def local_today(now: datetime, zone: str) -> date:
    """The property's calendar date at an aware instant."""
    if now.tzinfo is None:
        raise ValueError("naive datetime")
    return now.astimezone(ZoneInfo(zone)).date()


def local_time(now: datetime, zone: str) -> time:
    return now.astimezone(ZoneInfo(zone)).time()
