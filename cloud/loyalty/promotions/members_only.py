"""A chain's member rate is sold only to its members, whichever way the booking comes (desk,
booking engine, channels): checked on the booking path before the sale, and when a booking's
plan changes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog.models import Property, RatePlan
from cloud.i18n.labels import N_
from cloud.loyalty import membership
from cloud.loyalty.errors import MemberRateRefused
from cloud.loyalty.promotions.models import Promotion, PromotionSite
from cloud.loyalty.promotions.terms import is_promotion_plan
from cloud.reservations.models import Reservation

REFUSED = N_("The member rate is sold only to loyalty members: enrol the guest in the programme first.")


def member_rate(session: Session, *, site: str, plan: str) -> bool:
    """Whether ``plan`` at ``site`` sells a chain promotion of the member-rate kind."""
    if not is_promotion_plan(plan):
        return False
    kind = session.scalar(
        select(Promotion.kind)
        .join(PromotionSite, PromotionSite.promotion_id == Promotion.id)
        .join(RatePlan, RatePlan.id == PromotionSite.rate_plan_id)
        .join(Property, Property.id == RatePlan.property_id)
        .where(Property.slug == site, RatePlan.code == plan)
    )
    return kind == "member_rate"


def require_member(session: Session, *, site: str, plan: str, guest_id: str | None) -> None:
    """Refuse a member rate to a guest without a membership (or to a booking with no guest)."""
    if not member_rate(session, site=site, plan=plan):
        return
    if guest_id is None or membership.member_of_guest(session, guest_id) is None:
        raise MemberRateRefused(REFUSED)


def require_member_stay(session: Session, res: Reservation) -> None:
    """The same rule for a booking as it now stands (a modification may change its plan)."""
    row = session.execute(
        select(RatePlan.code, Property.slug)
        .join(Property, Property.id == RatePlan.property_id)
        .where(RatePlan.id == res.rate_plan_id)
    ).first()
    if row is not None:
        require_member(session, site=row.slug, plan=row.code, guest_id=res.guest_id)
