"""Each chain's own earning rules, read where points are decided (check-out, refunds, redemptions,
surveys, expiry); a booking's pending estimate keeps the programme's rules and is settled at
check-out. A stay sold under a chain promotion earns that promotion's multiplier and bonus.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.roles import Principal
from cloud.catalog.models import Property, RatePlan
from cloud.loyalty.promotions.models import ChainRules, Promotion, PromotionSite
from cloud.loyalty.promotions.terms import is_promotion_plan
from cloud.loyalty.rules import RULES, EarningRules
from cloud.loyalty.rules import Promotion as PointsPromotion
from cloud.reservations.models import Reservation

FIELDS = ("per_night", "per_currency_unit", "per_survey", "lot_months", "point_value_minor")


def for_chain(session: Session, chain: str) -> EarningRules:
    row = session.get(ChainRules, chain)
    if row is None:
        return RULES
    own = {k: int(v) for k, v in row.rules.items() if k in FIELDS}
    return EarningRules(
        per_night=own.get("per_night", RULES.per_night),
        per_currency_unit=own.get("per_currency_unit", RULES.per_currency_unit),
        per_survey=own.get("per_survey", RULES.per_survey),
        lot_months=own.get("lot_months", RULES.lot_months),
        point_value_minor=own.get("point_value_minor", RULES.point_value_minor),
        promotions=RULES.promotions,
    )


def for_site(session: Session, site: str) -> EarningRules:
    chain = session.scalar(select(Property.chain).where(Property.slug == site))
    return for_chain(session, chain or f"site:{site}")


def for_stay(session: Session, res: Reservation) -> EarningRules:
    """The chain's rules, with the points of the promotion the stay was sold under."""
    prop = session.get(Property, res.property_id)
    assert prop is not None
    rules = for_chain(session, prop.chain or f"site:{prop.slug}")
    plan = session.get(RatePlan, res.rate_plan_id)
    if plan is None or not is_promotion_plan(plan.code):
        return rules
    promo = session.scalar(
        select(Promotion)
        .join(PromotionSite, PromotionSite.promotion_id == Promotion.id)
        .where(PromotionSite.rate_plan_id == plan.id)
    )
    if promo is None or (promo.multiplier_pct == 100 and promo.bonus_points == 0):
        return rules
    earned = PointsPromotion(
        code=promo.code,
        starts=res.arrival,
        ends=res.arrival,
        multiplier_pct=promo.multiplier_pct,
        bonus=promo.bonus_points,
        sites=frozenset({prop.slug}),
    )
    return replace(rules, promotions=(*rules.promotions, earned))


def write(
    session: Session, chain: str, values: dict[str, Any], *, actor: Principal, now: datetime
) -> EarningRules:
    row = session.get(ChainRules, chain)
    kept = {k: v for k, v in values.items() if k in FIELDS and v is not None}
    if row is None:
        row = ChainRules(chain=chain, rules=kept, updated_by=actor.username, updated_at=now)
        session.add(row)
    else:
        row.rules, row.updated_by, row.updated_at = kept, actor.username, now
    audit(session, actor, "loyalty.rules", "loyalty_chain", chain, kept)
    session.flush()
    return for_chain(session, chain)
