"""Chain promotions in the public booking engine: which promotion plans a visitor may see, and
a booking that uses an offer code. Plans of the property's own are never looked up here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.loyalty.errors import OfferRefused
from cloud.loyalty.promotions import codes
from cloud.loyalty.promotions.codes import Unlocked
from cloud.loyalty.promotions.models import Promotion, PromotionSite
from cloud.loyalty.promotions.terms import REFUSED, is_promotion_plan, plan_code
from cloud.loyalty.suggestions import person
from cloud.reservations.models import Reservation

TRIES_PER_HOUR = 20  # offer codes one address may try (searches and bookings together)


def code_only(session: Session, *, site: str, plans: Iterable[str]) -> set[str]:
    """Of these plan codes, the promotions sold in the booking engine only with a code."""
    wanted = [p[1:] for p in plans if is_promotion_plan(p)]
    if not wanted:
        return set()
    rows = session.scalars(
        select(Promotion.code)
        .join(PromotionSite, PromotionSite.promotion_id == Promotion.id)
        .where(PromotionSite.site == site, Promotion.code_only.is_(True), Promotion.code.in_(wanted))
    )
    return {plan_code(code) for code in rows}


def for_booking(
    session: Session,
    *,
    secret: str,
    code: str,
    site: str,
    plan: str,
    arrival: date,
    departure: date,
    today: date,
) -> Unlocked | None:
    """Before the sale: the code's use taken if the plan is its promotion's; a code-only plan
    without a good code is refused. Only a promotion's plan costs a lookup."""
    if not is_promotion_plan(plan):
        return None
    if not code.strip():
        if code_only(session, site=site, plans=[plan]):
            raise OfferRefused(REFUSED)
        return None
    unlocked = codes.check(
        session,
        secret=secret,
        code=code,
        site=site,
        today=today,
        arrival=arrival,
        departure=departure,
        plan=plan,
    )
    codes.claim(session, unlocked)
    return unlocked


def booked(session: Session, unlocked: Unlocked, res: Reservation, *, site: str, now: datetime) -> None:
    """After the sale: a personal code must be its guest's (else the whole booking is undone)."""
    if unlocked.guest_id is not None and res.guest_id not in person(session, unlocked.guest_id):
        raise OfferRefused(REFUSED)
    codes.record(session, unlocked, reservation_id=res.id, site=site, now=now)
