"""A stay sold under a chain promotion: its package's extras at check-in (plans of the property's
own cost one lookup of the plan's code and nothing more)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cloud.billing.settings import BillingSettings
from cloud.catalog.models import Property, RatePlan
from cloud.loyalty import folio_lines
from cloud.loyalty.promotions import service
from cloud.loyalty.promotions.terms import is_promotion_plan
from cloud.reservations.models import Reservation


def checked_in(session: Session, billing: BillingSettings, res: Reservation, *, now: datetime) -> int:
    plan = session.get(RatePlan, res.rate_plan_id)
    if plan is None or not is_promotion_plan(plan.code):
        return 0
    promo = service.of_plan(session, plan.id)
    prop = session.get(Property, res.property_id)
    if promo is None or prop is None:
        return 0
    return folio_lines.package_extras(
        session, billing, res, promo, site=prop.slug, property_id=prop.id, now=now
    )
