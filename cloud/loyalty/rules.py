"""The programme's rules: what a stay, an answered survey or a promotion earns, and the tiers.

Plain values and arithmetic, no I/O. Points are whole numbers; money is integer minor units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from cloud.core.money import exponent


@dataclass(frozen=True, slots=True)
class Tier:
    code: str
    threshold: int  # qualifying points from which the tier holds
    late_checkout: str  # latest free check-out, "" when none
    upgrade_priority: int  # 0 none; higher goes first
    discount_pct: int  # off the room rate at any property of the chain


TIERS: tuple[Tier, ...] = (
    Tier("member", 0, "", 0, 0),
    Tier("silver", 2_000, "13:00", 1, 5),
    Tier("gold", 6_000, "15:00", 2, 10),
)
TIER_CODES = tuple(t.code for t in TIERS)


def tier_for(qualifying: int) -> Tier:
    """The highest tier whose threshold the qualifying points reach."""
    return [t for t in TIERS if qualifying >= t.threshold][-1]


@dataclass(frozen=True, slots=True)
class Promotion:
    """Extra points for stays arriving between ``starts`` and ``ends`` (inclusive) at ``sites``."""

    code: str
    starts: date
    ends: date
    multiplier_pct: int = 100  # 200: double points
    bonus: int = 0  # once per stay
    sites: frozenset[str] = frozenset()  # empty: every property of the chain

    def applies(self, *, site: str, arrival: date) -> bool:
        return self.starts <= arrival <= self.ends and (not self.sites or site in self.sites)


@dataclass(frozen=True, slots=True)
class EarningRules:
    per_night: int = 100
    per_currency_unit: int = 10  # per whole unit (1 EUR) of the stay's spend
    per_survey: int = 50
    lot_months: int = 24  # a lot expires this long after it becomes available
    point_value_minor: int = 1  # what one point is worth in the chain's settlements
    promotions: tuple[Promotion, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class StayFacts:
    site: str
    arrival: date
    nights: int
    spend_minor: int
    currency: str


RULES = EarningRules()  # the programme's rules until a chain sets its own


def spend_points(rules: EarningRules, *, spend_minor: int, currency: str) -> int:
    """Points for money spent: whole currency units only, never for a fraction of one."""
    unit: int = 10 ** exponent(currency)
    return max(spend_minor, 0) // unit * rules.per_currency_unit


def stay_points(rules: EarningRules, stay: StayFacts) -> tuple[int, tuple[str, ...]]:
    """What a stay earns, and the promotions that raised it."""
    base = stay.nights * rules.per_night + spend_points(
        rules, spend_minor=stay.spend_minor, currency=stay.currency
    )
    used = [p for p in rules.promotions if p.applies(site=stay.site, arrival=stay.arrival)]
    best = max((p.multiplier_pct for p in used), default=100)
    return base * best // 100 + sum(p.bonus for p in used), tuple(p.code for p in used)


def expiry_of(available_on: date, rules: EarningRules) -> date:
    """The last day a lot can be spent: ``lot_months`` after it became available."""
    months = available_on.month - 1 + rules.lot_months
    year, month = available_on.year + months // 12, months % 12 + 1
    day = min(available_on.day, 28)  # keeps the arithmetic plain; a lot lives a few days longer
    return date(year, month, day)
