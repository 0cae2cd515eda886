"""A rate plan's month as the set-up pages show it: each night's price per room type and the
restrictions on it, by the same rules the booking quote uses (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from cloud.catalog.pricing import PriceRule, night_rule
from cloud.setup.document import WEEKDAYS, PricePart, PropertyDocument, RestrictionPart


@dataclass(frozen=True)
class Night:
    day: date
    in_month: bool
    prices: tuple[tuple[str, int | None], ...]  # (room type, amount in minor units; None: no price)
    restrictions: tuple[RestrictionPart, ...]


def month_start(text: str | None, today: date) -> date:
    """The first day of ``YYYY-MM`` (this month when it is missing or not a month)."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def shift(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def weeks(doc: PropertyDocument, *, plan: str, month: date) -> list[list[Night]]:
    """Monday-first weeks covering ``month``, each night priced per room type of the plan."""
    types = [t.code for t in doc.room_types]
    rules = {code: [_rule(p) for p in doc.prices if (p.plan, p.type) == (plan, code)] for code in types}
    first = month - timedelta(days=month.weekday())
    last = shift(month, 1)
    grid: list[list[Night]] = []
    day = first
    while day < last or day.weekday() != 0:
        if day.weekday() == 0:
            grid.append([])
        found = [(code, night_rule(rules[code], day)) for code in types]
        prices = tuple((code, rule.amount_minor if rule else None) for code, rule in found)
        applying = tuple(r for r in doc.restrictions if r.from_ <= day < r.until and r.plan in (None, plan))
        grid[-1].append(
            Night(
                day=day,
                in_month=day.month == month.month,
                prices=prices,
                restrictions=applying,
            )
        )
        day += timedelta(days=1)
    return grid


def _rule(price: PricePart) -> PriceRule:
    days = None if price.weekdays is None else frozenset(WEEKDAYS.index(d) for d in price.weekdays)
    return PriceRule(
        amount_minor=price.amount_minor,
        season_start=price.from_,
        season_end=price.until,
        weekdays=days,
        min_stay=price.min_stay,
    )
