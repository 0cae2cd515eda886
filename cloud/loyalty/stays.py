"""A stay's points: pending from booking, confirmed at check-out, reversed on cancel or refund."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog.models import Property
from cloud.loyalty import membership
from cloud.loyalty.ledger import Posting, new_lot, post
from cloud.loyalty.models import Lot, Member
from cloud.loyalty.points import LotView, take_back
from cloud.loyalty.rules import EarningRules, StayFacts, expiry_of, spend_points, stay_points
from cloud.reservations.models import Reservation

ACTOR = "system:loyalty"
STAY = "stay"


def facts(session: Session, res: Reservation) -> StayFacts:
    prop = session.get(Property, res.property_id)
    assert prop is not None
    return StayFacts(
        site=prop.slug,
        arrival=res.arrival,
        nights=(res.departure - res.arrival).days,
        spend_minor=res.total_minor + res.late_checkout_fee_minor,
        currency=res.currency,
    )


def _member(session: Session, res: Reservation) -> Member | None:
    if res.guest_id is None:
        return None
    found = membership.member_of_guest(session, res.guest_id)
    return None if found is None else membership.load(session, found.id, lock=True)


def _lot(session: Session, member: Member, res: Reservation) -> Lot | None:
    return session.scalar(
        select(Lot).where(Lot.member_id == member.id, Lot.action == STAY, Lot.reservation_id == res.id)
    )


def booked(session: Session, res: Reservation, *, rules: EarningRules, now: datetime) -> Lot | None:
    """A member's booking: the points it should earn, pending until check-out."""
    member = _member(session, res)
    if member is None or _lot(session, member, res) is not None:
        return None
    stay = facts(session, res)
    points, _promotions = stay_points(rules, stay)
    lot = new_lot(
        session,
        member,
        site=stay.site,
        action=STAY,
        state="pending",
        points=points,
        reservation_id=res.id,
        expires_on=None,
        now=now,
    )
    if points > 0:
        post(
            session,
            member,
            lot,
            Posting("pending", "pending", points, stay.site, STAY, ACTOR, res.id),
            rules=rules,
            now=now,
        )
    return lot


def checked_out(session: Session, res: Reservation, *, rules: EarningRules, now: datetime) -> Lot | None:
    """The stay as it ended (nights, spend, promotions): its pending points become available."""
    member = _member(session, res)
    if member is None:
        return None
    lot = _lot(session, member, res) or booked(session, res, rules=rules, now=now)
    if lot is None or lot.state != "pending":
        return lot
    stay = facts(session, res)
    if lot.points > 0:
        post(
            session,
            member,
            lot,
            Posting("confirm", "pending", -lot.points, stay.site, STAY, ACTOR, res.id),
            rules=rules,
            now=now,
        )
    points, promotions = stay_points(rules, stay)
    lot.state, lot.points, lot.remaining = "available", points, points
    lot.expires_on = expiry_of(now.date(), rules)
    if points > 0:
        action = STAY if not promotions else f"stay+{'+'.join(promotions)}"[:80]
        post(
            session,
            member,
            lot,
            Posting(
                "earn", "available", points, stay.site, action, ACTOR, res.id, settle="issue", qualifies=True
            ),
            rules=rules,
            now=now,
        )
    return lot


def cancelled(session: Session, res: Reservation, *, rules: EarningRules, now: datetime) -> None:
    """A cancelled booking earns nothing: its pending points go."""
    member = _member(session, res)
    lot = None if member is None else _lot(session, member, res)
    if member is None or lot is None or lot.state != "pending":
        return
    if lot.points > 0:
        post(
            session,
            member,
            lot,
            Posting("reverse", "pending", -lot.points, lot.site, "cancel", ACTOR, res.id),
            rules=rules,
            now=now,
        )
    lot.state = "reversed"


def refunded(
    session: Session, res: Reservation, *, refund_minor: int, action: str, rules: EarningRules, now: datetime
) -> int:
    """Money given back takes back the points it earned (what is left of the stay's lot; once)."""
    member = _member(session, res)
    lot = None if member is None else _lot(session, member, res)
    if member is None or lot is None or lot.state != "available":
        return 0
    points = spend_points(rules, spend_minor=refund_minor, currency=res.currency)
    draws = take_back([LotView(lot.id, lot.remaining, lot.expires_on)], points=min(points, member.available))
    for part in draws:
        lot.remaining -= part.points
        post(
            session,
            member,
            lot,
            Posting(
                "reverse",
                "available",
                -part.points,
                lot.site,
                action[:80],
                ACTOR,
                res.id,
                settle="reverse",
                qualifies=True,
            ),
            rules=rules,
            now=now,
        )
    return sum(part.points for part in draws)
