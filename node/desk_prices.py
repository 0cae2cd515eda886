"""The cloud's prices and taxes, computed on the node from the replica's pricing: a walk-in's
nights as the cloud's ``price`` would quote them (price rules by season and weekday, the plan's
minimum stay, the restrictions), and a folio line's gross as ``post_charge`` would tax it. Pure:
the same functions the cloud calls (``cloud.catalog.pricing.quote``, ``cloud.billing.folio.
price_charge``) on the replica's copy of the same data, so the node and the cloud agree.
"""

from __future__ import annotations

from datetime import date

from cloud.billing.folio import ChargeKind, price_charge
from cloud.billing.tax import TaxPolicy, TaxRate
from cloud.catalog.errors import InvalidRequest
from cloud.catalog.pricing import PriceRule, Quote, RatePolicy, StayRule, quote
from cloud.core.money import Money, MoneyError
from cloud.core.nights import Stay
from mqtt.node_messages import ReplicaPricing


class NoPrice(Exception):
    """The replica's prices do not sell this stay (the reason says why, as the cloud would)."""


def tax_policy(pricing: ReplicaPricing) -> TaxPolicy:
    return TaxPolicy(
        inclusive=pricing.prices_include_tax,
        rates=tuple(TaxRate(t.code, t.ppm, frozenset(t.kinds)) for t in pricing.taxes),
    )


def gross_minor(pricing: ReplicaPricing, *, kind: str, unit_minor: int, quantity: int, currency: str) -> int:
    """What a line adds to the folio's balance: its gross after the property's taxes."""
    try:
        taxed = price_charge(
            kind=ChargeKind(kind),
            unit_price=Money(unit_minor, currency),
            quantity=quantity,
            discount=False,
            policy=tax_policy(pricing),
        )
    except (ValueError, MoneyError) as exc:
        raise NoPrice(str(exc)) from None
    return taxed.gross.minor


def nights_gross(pricing: ReplicaPricing, nights: list[int], *, currency: str) -> int:
    """What check-in posts for these nights (a complimentary night is not a line)."""
    return sum(
        gross_minor(pricing, kind=ChargeKind.ROOM_NIGHT.value, unit_minor=n, quantity=1, currency=currency)
        for n in nights
        if n > 0
    )


def default_plan(pricing: ReplicaPricing) -> str:
    """The plan a walk-in is sold on unless the desk picks another: the cloud's first."""
    return pricing.plans[0].rate_plan if pricing.plans else ""


def walk_in_quote(
    pricing: ReplicaPricing, *, room_type: str, rate_plan: str, arrival: date, departure: date, currency: str
) -> Quote:
    """Every night's price of the stay on ``rate_plan`` (NoPrice when the plan, a night's price or
    a restriction forbids it)."""
    plan = next((p for p in pricing.plans if p.rate_plan == rate_plan), None)
    if plan is None:
        raise NoPrice(f"no rate plan {rate_plan!r}")
    rules = [
        PriceRule(
            amount_minor=p.amount_minor,
            season_start=p.season_start,
            season_end=p.season_end,
            weekdays=frozenset(p.weekdays) if p.weekdays is not None else None,
            min_stay=p.min_stay,
        )
        for p in pricing.prices
        if p.rate_plan == rate_plan and p.room_type == room_type
    ]
    restrictions = [
        StayRule(
            start=r.start,
            end=r.end,
            min_stay=r.min_stay,
            max_stay=r.max_stay,
            closed_to_arrival=r.closed_to_arrival,
            closed_to_departure=r.closed_to_departure,
            stop_sell=r.stop_sell,
        )
        for r in pricing.restrictions
        if r.rate_plan in (None, rate_plan) and r.room_type in (None, room_type)
    ]
    try:
        return quote(
            rules,
            Stay(arrival, departure),
            currency=currency,
            policy=RatePolicy(min_stay=plan.min_stay),
            restrictions=restrictions,
        )
    except (InvalidRequest, ValueError) as exc:
        raise NoPrice(str(exc)) from None
