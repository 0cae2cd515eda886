"""Night-by-night prices from a rate plan's rules, deposits and cancellation fees (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from cloud.catalog.errors import InvalidRequest
from cloud.core.nights import Stay

DepositKind = Literal["none", "first_night", "percent", "total"]
# A rate plan whose code starts so was made by a chain promotion (cloud/loyalty/promotions): the
# chain keeps it, and a property document neither names nor removes it.
PROMOTION_PLAN_PREFIX = "~"


@dataclass(frozen=True)
class PriceRule:
    """A nightly price; season [start, end) and weekdays (0=Monday) narrow where it applies."""

    amount_minor: int
    season_start: date | None = None
    season_end: date | None = None
    weekdays: frozenset[int] | None = None
    min_stay: int | None = None

    def applies(self, night: date) -> bool:
        if self.season_start is not None and night < self.season_start:
            return False
        if self.season_end is not None and night >= self.season_end:
            return False
        return self.weekdays is None or night.weekday() in self.weekdays

    def specificity(self) -> tuple[int, int, int]:
        seasonal = self.season_start is not None or self.season_end is not None
        span = (self.season_end - self.season_start).days if self.season_start and self.season_end else 10**6
        return (int(seasonal), int(self.weekdays is not None), -span)


@dataclass(frozen=True)
class StayRule:
    """A restriction on nights [start, end) of a plan and/or type (None: every one)."""

    start: date
    end: date
    plan_id: int | None = None
    type_id: int | None = None
    min_stay: int | None = None
    max_stay: int | None = None
    closed_to_arrival: bool = False
    closed_to_departure: bool = False
    stop_sell: bool = False

    def covers(self, day: date) -> bool:
        return self.start <= day < self.end

    def concerns(self, *, plan_id: int, type_id: int) -> bool:
        return self.plan_id in (None, plan_id) and self.type_id in (None, type_id)


class Restricted(InvalidRequest):
    """A restriction of the property forbids this stay for this plan and type."""

    type_ = "/problems/reservations/restricted"
    title = "Restricted"


@dataclass(frozen=True)
class RatePolicy:
    refundable: bool = True
    free_cancel_hours: int = 24
    cancel_fee_nights: int = 1
    deposit_kind: DepositKind = "none"
    deposit_percent: int = 0
    min_stay: int = 1


@dataclass(frozen=True)
class Quote:
    currency: str
    nights: tuple[tuple[date, int], ...]
    deposit_minor: int
    policy: RatePolicy = field(default_factory=RatePolicy)

    @property
    def total_minor(self) -> int:
        return sum(amount for _night, amount in self.nights)


def night_rule(rules: Sequence[PriceRule], night: date) -> PriceRule | None:
    """The most specific rule for a night: season and weekday beat season, beat weekday, beat base."""
    matching = [rule for rule in rules if rule.applies(night)]
    return max(matching, key=PriceRule.specificity) if matching else None


def restriction(rules: Sequence[StayRule], stay: Stay) -> str | None:
    """Why the restrictions forbid the stay, or None. Checked in this order: stop sell on a
    night, closed to arrival, closed to departure, then the arrival night's minimum and maximum stay."""
    for night in stay.each_night():
        if any(r.stop_sell and r.covers(night) for r in rules):
            return f"stop sell on the night of {night.isoformat()}"
    if any(r.closed_to_arrival and r.covers(stay.arrival) for r in rules):
        return f"closed to arrival on {stay.arrival.isoformat()}"
    if any(r.closed_to_departure and r.covers(stay.departure) for r in rules):
        return f"closed to departure on {stay.departure.isoformat()}"
    at_arrival = [r for r in rules if r.covers(stay.arrival)]
    least = max((r.min_stay for r in at_arrival if r.min_stay), default=1)
    if stay.nights < least:
        return f"a stay arriving on {stay.arrival.isoformat()} needs at least {least} nights"
    most = min((r.max_stay for r in at_arrival if r.max_stay), default=None)
    if most is not None and stay.nights > most:
        return f"a stay arriving on {stay.arrival.isoformat()} may last {most} nights at most"
    return None


def quote(
    rules: Sequence[PriceRule],
    stay: Stay,
    *,
    currency: str,
    policy: RatePolicy,
    restrictions: Sequence[StayRule] = (),
) -> Quote:
    """Price every night of a stay; refuse when a restriction forbids it (Restricted), a night
    has no price or the stay is too short for the plan."""
    reason = restriction(restrictions, stay)
    if reason is not None:
        raise Restricted(reason, reason=reason)
    nights: list[tuple[date, int]] = []
    for night in stay.each_night():
        rule = night_rule(rules, night)
        if rule is None:
            raise InvalidRequest(f"the rate plan has no price for the night of {night.isoformat()}")
        nights.append((night, rule.amount_minor))
    arrival_rule = night_rule(rules, stay.arrival)
    min_stay = max(policy.min_stay, (arrival_rule.min_stay if arrival_rule else None) or 1)
    if stay.nights < min_stay:
        raise InvalidRequest(f"this rate needs a stay of at least {min_stay} nights", min_stay=min_stay)
    amounts = [amount for _n, amount in nights]
    return Quote(
        currency=currency, nights=tuple(nights), deposit_minor=deposit(policy, amounts), policy=policy
    )


def deposit(policy: RatePolicy, amounts: Sequence[int]) -> int:
    """The deposit required at booking, in minor units (rounded half up)."""
    total = sum(amounts)
    if policy.deposit_kind == "total":
        return total
    if policy.deposit_kind == "first_night":
        return amounts[0] if amounts else 0
    if policy.deposit_kind == "percent":
        return (total * policy.deposit_percent + 50) // 100
    return 0


def cancellation_fee(
    policy: RatePolicy, amounts: Sequence[int], *, now: datetime, checkin_at: datetime
) -> int:
    """What a cancellation at ``now`` costs: nothing inside the free window, else the policy's fee."""
    if not policy.refundable:
        return sum(amounts)
    if now <= checkin_at - timedelta(hours=policy.free_cancel_hours):
        return 0
    return sum(amounts[: policy.cancel_fee_nights])


def no_show_fee(policy: RatePolicy, amounts: Sequence[int]) -> int:
    """A no-show pays as a late cancellation (all of it when non-refundable)."""
    return sum(amounts) if not policy.refundable else sum(amounts[: max(policy.cancel_fee_nights, 1)])
