"""A long stay's billing schedule and service days (pure): monthly on a billing day, prorated ends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from cloud.core.nights import Stay


@dataclass(frozen=True)
class Charge:
    due_on: date
    period_start: date
    period_end: date
    amount_minor: int


def _month_day(year: int, month: int, day: int) -> date:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, day)


def billing_dates(stay: Stay, billing_day: int) -> list[date]:
    """Billing days strictly inside the stay, each starting a new period."""
    if not 1 <= billing_day <= 28:
        raise ValueError("billing day is 1..28")
    dates: list[date] = []
    step = 0
    while True:
        day = _month_day(stay.arrival.year, stay.arrival.month + step, billing_day)
        step += 1
        if day <= stay.arrival:
            continue
        if day >= stay.departure:
            return dates
        dates.append(day)


def schedule(stay: Stay, *, billing_day: int, monthly_minor: int) -> list[Charge]:
    """One charge per period, due at its start; a period shorter than its month is prorated by nights."""
    bounds = [stay.arrival, *billing_dates(stay, billing_day), stay.departure]
    charges = []
    for start, end in pairwise(bounds):
        full_start = _previous_billing(start, billing_day)
        full_end = _month_day(full_start.year, full_start.month + 1, billing_day)
        nights, full = (end - start).days, (full_end - full_start).days
        amount = monthly_minor if nights >= full else (monthly_minor * nights + full // 2) // full
        charges.append(Charge(start, start, end, amount))
    return charges


def _previous_billing(start: date, billing_day: int) -> date:
    """The billing day on or before the period's start: the month the period belongs to."""
    day = _month_day(start.year, start.month, billing_day)
    return day if day <= start else _month_day(start.year, start.month - 1, billing_day)


def service_days(stay: Stay, weekdays: frozenset[int], *, start: date, until: date) -> Iterator[date]:
    """Days in [start, until) of the stay (arrival excluded, departure excluded) on the given weekdays."""
    day = max(start, stay.arrival + timedelta(days=1))
    while day < min(until, stay.departure):
        if day.weekday() in weekdays:
            yield day
        day += timedelta(days=1)


WEEK = 7


def weekly_schedule(stay: Stay, *, weekly_minor: int) -> list[Charge]:
    """One charge per week from arrival, due at its start; a last short week is prorated by nights
    (rounded half up)."""
    charges = []
    start = stay.arrival
    while start < stay.departure:
        end = min(start + timedelta(days=WEEK), stay.departure)
        nights = (end - start).days
        amount = weekly_minor if nights == WEEK else (weekly_minor * nights + WEEK // 2) // WEEK
        charges.append(Charge(start, start, end, amount))
        start = end
    return charges


def cycle_schedule(stay: Stay, *, cycle: str, rate_minor: int, billing_day: int) -> list[Charge]:
    """The contract's charges for the stay: ``monthly`` on the billing day, or ``weekly`` from arrival."""
    if cycle == "weekly":
        return weekly_schedule(stay, weekly_minor=rate_minor)
    if cycle == "monthly":
        return schedule(stay, billing_day=billing_day, monthly_minor=rate_minor)
    raise ValueError(f"the billing cycle is monthly or weekly, not {cycle!r}")


def services_in(period_start: date, period_end: date, weekdays: frozenset[int], *, stay: Stay) -> int:
    """How many service days fall in the period (the stay's arrival and departure days excluded)."""
    return sum(1 for _ in service_days(stay, weekdays, start=period_start, until=period_end))
