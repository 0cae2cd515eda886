"""The figures' definitions, pure (docs/reports.md): ratios, periods, departments, buckets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Grain(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


# Which department each billing charge kind's revenue belongs to (docs/reports.md#departments).
DEPARTMENTS: dict[str, str] = {
    "room_night": "rooms",
    "rent": "rooms",  # a long stay's contract rent: room revenue, by the day it is billed
    "late_checkout": "other_rooms", "cancellation": "other_rooms", "no_show": "other_rooms",
    "restaurant": "food_beverage", "minibar": "food_beverage",
    "laundry": "services", "spa": "services", "transport": "services",
}
DEPARTMENT_ORDER = ("rooms", "other_rooms", "food_beverage", "services", "other")
LEAD_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 0), (1, 3), (4, 7), (8, 14), (15, 30), (31, 60), (61, 90), (91, None))
STAY_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (1, 1), (2, 2), (3, 3), (4, 4), (5, 7), (8, 14), (15, None))


def department_of(kind: str) -> str:
    return DEPARTMENTS.get(kind, "other")


def period_key(night: date, grain: Grain) -> str:
    """The period a night falls in: 2027-03-04, 2027-W09 (ISO, Monday first), 2027-03, 2027."""
    if grain is Grain.DAY:
        return night.isoformat()
    if grain is Grain.WEEK:
        year, week, _ = night.isocalendar()
        return f"{year}-W{week:02d}"
    if grain is Grain.MONTH:
        return f"{night.year}-{night.month:02d}"
    return str(night.year)


def ratio_minor(amount: int, count: int) -> int | None:
    """amount / count in minor units, rounded half up (half away from zero); None without a count."""
    if count <= 0:
        return None
    return int((Decimal(amount) / Decimal(count)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole in percent with two decimals, rounded half up; None when whole is 0."""
    if whole <= 0:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def bucket_label(bounds: tuple[int, int | None]) -> str:
    low, high = bounds
    if high is None:
        return f"{low}+"
    return str(low) if low == high else f"{low}-{high}"


def bucket_of(value: int, buckets: Sequence[tuple[int, int | None]]) -> str:
    for low, high in buckets:
        if value >= low and (high is None or value <= high):
            return bucket_label((low, high))
    return bucket_label(buckets[0])  # below the first: a same-day booking made "after" arrival


def distribution(values: Iterable[int], buckets: Sequence[tuple[int, int | None]]) -> dict[str, int]:
    counts = {bucket_label(b): 0 for b in buckets}
    for value in values:
        counts[bucket_of(value, buckets)] += 1
    return counts


@dataclass
class Figures:
    """The sums of one period (and one value of a dimension); ratios are derived from them."""

    available: int = 0
    out_of_order: int = 0
    sold: int = 0
    complimentary: int = 0
    house_use: int = 0
    on_the_books: int = 0
    room_net: int = 0
    room_gross: int = 0
    payments: int = 0
    refunds: int = 0
    departments_net: dict[str, int] = field(default_factory=dict)
    departments_gross: dict[str, int] = field(default_factory=dict)

    def add(self, other: Figures) -> None:
        for name in ("available", "out_of_order", "sold", "complimentary", "house_use", "on_the_books",
                     "room_net", "room_gross", "payments", "refunds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for mine, theirs in ((self.departments_net, other.departments_net),
                             (self.departments_gross, other.departments_gross)):
            for dept, amount in theirs.items():
                mine[dept] = mine.get(dept, 0) + amount

    @property
    def total_net(self) -> int:
        return sum(self.departments_net.values())

    @property
    def total_gross(self) -> int:
        return sum(self.departments_gross.values())

    def ratios(self) -> dict[str, int | Decimal | None]:
        """Occupancy, ADR, RevPAR and TRevPAR, net and gross (docs/reports.md#the-ratios)."""
        return {
            "occupancy_pct": percent(self.sold, self.available),
            "adr_net": ratio_minor(self.room_net, self.sold),
            "adr_gross": ratio_minor(self.room_gross, self.sold),
            "revpar_net": ratio_minor(self.room_net, self.available),
            "revpar_gross": ratio_minor(self.room_gross, self.available),
            "trevpar_net": ratio_minor(self.total_net, self.available),
            "trevpar_gross": ratio_minor(self.total_gross, self.available),
        }


def goppar(*, revenue_net: int, expenses: int, available: int) -> int | None:
    """Gross operating profit per available room (docs/reports.md#goppar)."""
    return ratio_minor(revenue_net - expenses, available)
