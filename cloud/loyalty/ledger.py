"""Posting to the points ledger: every movement is an entry, under a lock on the member's row.

The balances on ``loyalty_members`` are kept with the entries in one transaction and a CHECK
refuses any that would go negative; the checks here say why before the database has to.
Each posting that changes what a property owes in points writes its sub-ledger line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog.models import Property
from cloud.loyalty import membership
from cloud.loyalty.errors import InsufficientPoints, InvalidLoyalty
from cloud.loyalty.models import REDEMPTION_KINDS, Entry, Lot, Member, Redemption, Settlement
from cloud.loyalty.points import Draw, LotView, NotEnoughPoints, draw, expired
from cloud.loyalty.rules import EarningRules, expiry_of, tier_for
from mqtt.envelope import new_id


@dataclass(frozen=True, slots=True)
class Posting:
    """One entry to write: what moves, on which balance, traced to what."""

    kind: str
    bucket: str
    points: int
    site: str
    action: str
    actor: str
    reservation_id: str | None = None
    settle: str | None = None  # the sub-ledger kind, when a property's outstanding points change
    qualifies: bool = False  # counts towards (or, negative, against) the tier


def post(
    session: Session, member: Member, lot: Lot | None, posting: Posting, *, rules: EarningRules, now: datetime
) -> Entry:
    """Write the entry, move the balance, keep the tier and the sub-ledger in step."""
    balance = member.available if posting.bucket == "available" else member.pending
    if balance + posting.points < 0:
        raise InsufficientPoints(f"{-posting.points} points asked, {balance} {posting.bucket}")
    if posting.bucket == "available":
        member.available += posting.points
    else:
        member.pending += posting.points
    if posting.qualifies:
        member.qualifying = max(member.qualifying + posting.points, 0)
        member.tier = tier_for(member.qualifying).code
    member.updated_at = now
    entry = Entry(
        id=new_id(),
        member_id=member.id,
        lot_id=lot.id if lot else None,
        kind=posting.kind,
        bucket=posting.bucket,
        points=posting.points,
        site=posting.site,
        reservation_id=posting.reservation_id,
        action=posting.action,
        actor=posting.actor,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    if posting.settle is not None:
        settle(
            session,
            member=member,
            entry=entry,
            kind=posting.settle,
            site=posting.site,
            points=posting.points,
            rules=rules,
        )
    return entry


def settle(
    session: Session, *, member: Member, entry: Entry, kind: str, site: str, points: int, rules: EarningRules
) -> None:
    currency = session.scalar(select(Property.currency).where(Property.slug == site)) or "EUR"
    session.add(
        Settlement(
            site=site,
            member_id=member.id,
            entry_id=entry.id,
            kind=kind,
            points=points,
            value_minor=points * rules.point_value_minor,
            currency=currency,
        )
    )


def new_lot(
    session: Session,
    member: Member,
    *,
    site: str,
    action: str,
    state: str,
    points: int,
    reservation_id: str | None,
    expires_on: date | None,
    now: datetime,
) -> Lot:
    lot = Lot(
        id=new_id(),
        member_id=member.id,
        site=site,
        reservation_id=reservation_id,
        action=action,
        state=state,
        points=points,
        remaining=points if state == "available" else 0,
        expires_on=expires_on,
        created_at=now,
    )
    session.add(lot)
    session.flush()
    return lot


def award(
    session: Session,
    member: Member,
    *,
    site: str,
    points: int,
    action: str,
    actor: str,
    rules: EarningRules,
    now: datetime,
) -> Lot | None:
    """Points for an action (a survey answered, a promotion): available at once; once per action."""
    if points <= 0:
        return None
    known = session.scalar(select(Lot).where(Lot.member_id == member.id, Lot.action == action))
    if known is not None:
        return known
    lot = new_lot(
        session,
        member,
        site=site,
        action=action,
        state="available",
        points=points,
        reservation_id=None,
        expires_on=expiry_of(now.date(), rules),
        now=now,
    )
    post(
        session,
        member,
        lot,
        Posting("earn", "available", points, site, action, actor, settle="issue", qualifies=True),
        rules=rules,
        now=now,
    )
    return lot


def lots_of(session: Session, member: Member) -> list[Lot]:
    return list(
        session.scalars(
            select(Lot).where(Lot.member_id == member.id, Lot.state == "available").order_by(Lot.id)
        )
    )


def redeem(
    session: Session,
    member_id: str,
    *,
    site: str,
    kind: str,
    points: int,
    actor: str,
    reservation_id: str | None,
    note: str,
    rules: EarningRules,
    now: datetime,
) -> Redemption:
    """Spend points at any property of the member's chain: lots expiring first go first."""
    if kind not in REDEMPTION_KINDS:
        raise InvalidLoyalty(f"a redemption is one of {', '.join(REDEMPTION_KINDS)}")
    if not 0 < points <= 10_000_000:
        raise InvalidLoyalty("a redemption is a positive number of points")
    member = membership.load(session, member_id, lock=True)
    if membership.chain_of_site(session, site) != member.chain:
        raise InvalidLoyalty(f"property {site!r} is not in the member's chain")
    lots, draws = _plan(session, member, points=points, today=now.date())
    redemption = Redemption(
        id=new_id(),
        member_id=member.id,
        site=site,
        kind=kind,
        points=points,
        value_minor=points * rules.point_value_minor,
        currency=_currency(session, site),
        reservation_id=reservation_id,
        note=note[:200],
        created_at=now,
    )
    session.add(redemption)
    action = f"redemption:{redemption.id}"
    for part in draws:
        lot = lots[part.lot_id]
        lot.remaining -= part.points
        spent = Posting(
            "redeem", "available", -part.points, lot.site, action, actor, reservation_id, settle="redeem_out"
        )  # the issuing property stops owing them
        entry = post(session, member, lot, spent, rules=rules, now=now)
        settle(
            session, member=member, entry=entry, kind="redeem_in", site=site, points=part.points, rules=rules
        )
    return redemption


def expire(session: Session, member_id: str, *, today: date, rules: EarningRules, now: datetime) -> int:
    """Take what is left of lots past their last day; returns the points expired."""
    member = membership.load(session, member_id, lock=True)
    lots = {lot.id: lot for lot in lots_of(session, member)}
    gone = expired([LotView(lot.id, lot.remaining, lot.expires_on) for lot in lots.values()], today=today)
    for part in gone:
        lot = lots[part.lot_id]
        lot.remaining = 0
        post(
            session,
            member,
            lot,
            Posting(
                "expire",
                "available",
                -part.points,
                lot.site,
                f"expiry:{lot.id}",
                "system:loyalty-expiry",
                lot.reservation_id,
                settle="expire",
            ),
            rules=rules,
            now=now,
        )
    return sum(part.points for part in gone)


def _plan(session: Session, member: Member, *, points: int, today: date) -> tuple[dict[str, Lot], list[Draw]]:
    """The member's live lots and what to take from each (InsufficientPoints beyond the balance)."""
    lots = {lot.id: lot for lot in lots_of(session, member)}
    try:
        return lots, draw(
            [LotView(lot.id, lot.remaining, lot.expires_on) for lot in lots.values()],
            points=points,
            today=today,
        )
    except NotEnoughPoints as exc:
        raise InsufficientPoints(str(exc)) from exc


def _currency(session: Session, site: str) -> str:
    return session.scalar(select(Property.currency).where(Property.slug == site)) or "EUR"
