"""Offer codes: issued by headquarters for a promotion, used once or a few times by bookings.

A code is found by its keyed digest in one statement that reads everything the decision needs,
whether the code exists or not. Its use is taken by a conditional increment (``uses < max_uses``)
inside the booking's transaction, so concurrent bookings cannot use it more often than allowed,
and a booking that fails takes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.roles import Principal
from cloud.loyalty.errors import InvalidLoyalty, OfferRefused
from cloud.loyalty.promotions.models import OfferCode, OfferUse, Promotion, PromotionSite
from cloud.loyalty.promotions.terms import REFUSED, CodeFacts, digest, new_code, normal, plan_code, usable
from mqtt.envelope import new_id


@dataclass(frozen=True, slots=True)
class Unlocked:
    code_id: str
    promotion_id: str
    plan: str  # the rate plan code the offer is sold under at this property
    guest_id: str | None  # a personal code's profile


def issue(
    session: Session,
    promo: Promotion,
    *,
    secret: str,
    count: int,
    max_uses: int,
    valid_until: date,
    actor: Principal | str,
    now: datetime,
    code: str | None = None,
    guest_id: str | None = None,
    audited: bool = True,
) -> list[str]:
    """New codes for a promotion (shown once; only their digests are kept)."""
    if promo.status != "active":
        raise InvalidLoyalty("a withdrawn promotion issues no codes")
    if code is not None and (count != 1 or not normal(code)):
        raise InvalidLoyalty("a code of your own is 4 to 24 letters and digits, issued alone")
    texts = [code] if code is not None else [new_code() for _ in range(count)]
    for text in texts:
        if session.scalar(select(OfferCode.id).where(OfferCode.digest == digest(secret, text))):
            raise InvalidLoyalty("that code exists already")
        session.add(
            OfferCode(
                id=new_id(),
                promotion_id=promo.id,
                digest=digest(secret, text),
                hint=normal(text)[-4:],
                max_uses=max_uses,
                uses=0,
                valid_until=valid_until,
                guest_id=guest_id,
                created_by=getattr(actor, "username", str(actor)),
                created_at=now,
            )
        )
    session.flush()
    if not audited:  # the caller audits the batch (a campaign's personal codes)
        return texts
    audit(
        session,
        actor,
        "promotion.codes",
        "promotion",
        promo.id,
        {
            "count": len(texts),
            "max_uses": max_uses,
            "valid_until": valid_until.isoformat(),
            "personal": guest_id is not None,
        },
    )
    return texts


def facts(session: Session, *, secret: str, code: str, site: str) -> tuple[CodeFacts, OfferCode | None]:
    """Everything about a code at a property, in one statement (unknown codes read the same way)."""
    row = session.execute(
        select(OfferCode, Promotion, PromotionSite)
        .select_from(OfferCode)
        .join(Promotion, Promotion.id == OfferCode.promotion_id)
        .outerjoin(
            PromotionSite, and_(PromotionSite.promotion_id == Promotion.id, PromotionSite.site == site)
        )
        .where(OfferCode.digest == digest(secret, code))
    ).first()
    if row is None:
        return CodeFacts(False, False, False, None, None, None, None, 0), None
    found, promo, at = row
    return CodeFacts(
        known=True,
        promotion_active=promo.status == "active",
        site_active=at is not None and at.state == "active",
        plan=plan_code(promo.code),
        stay_from=promo.stay_from,
        stay_until=promo.stay_until,
        valid_until=found.valid_until,
        uses_left=found.max_uses - found.uses,
    ), found


def check(
    session: Session,
    *,
    secret: str,
    code: str,
    site: str,
    today: date,
    arrival: date,
    departure: date,
    plan: str | None = None,
) -> Unlocked:
    """The promotion a code unlocks for this stay at ``site``; OfferRefused, always worded alike."""
    known, found = facts(session, secret=secret, code=code, site=site)
    if found is None or not usable(known, today=today, arrival=arrival, departure=departure, plan=plan):
        raise OfferRefused(REFUSED)
    assert known.plan is not None
    return Unlocked(found.id, found.promotion_id, known.plan, found.guest_id)


def claim(session: Session, unlocked: Unlocked) -> None:
    """Take one use, or refuse if none is left (the row's own check, under the row's lock)."""
    taken = session.execute(
        update(OfferCode)
        .where(OfferCode.id == unlocked.code_id, OfferCode.uses < OfferCode.max_uses)
        .values(uses=OfferCode.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise OfferRefused(REFUSED)


def record(session: Session, unlocked: Unlocked, *, reservation_id: str, site: str, now: datetime) -> None:
    session.add(OfferUse(code_id=unlocked.code_id, reservation_id=reservation_id, site=site, used_at=now))
    session.flush()


def release(session: Session, *, reservation_id: str, now: datetime) -> bool:
    """A cancelled booking gives its code's use back (once)."""
    use = session.scalar(
        select(OfferUse).where(OfferUse.reservation_id == reservation_id, OfferUse.released_at.is_(None))
    )
    if use is None:
        return False
    use.released_at = now
    session.execute(
        update(OfferCode)
        .where(OfferCode.id == use.code_id, OfferCode.uses > 0)
        .values(uses=OfferCode.uses - 1)
        .execution_options(synchronize_session=False)
    )
    return True
