"""Reading a member, their ledger and a property's sub-ledger, within what the caller may see."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.catalog.models import Property
from cloud.loyalty.models import Entry, Lot, Member, MemberProfile, Settlement
from cloud.loyalty.rules import TIERS, tier_for
from cloud.loyalty.schemas import Benefits, EntryOut, LotOut, MemberOut, ProfileLink, SettlementOut


def member_out(session: Session, member: Member, *, sites: Collection[str]) -> MemberOut:
    tier = tier_for(member.qualifying)
    higher = [t for t in TIERS if t.threshold > member.qualifying]
    links = session.scalars(
        select(MemberProfile)
        .where(MemberProfile.member_id == member.id)
        .order_by(MemberProfile.site, MemberProfile.guest_id)
    )
    return MemberOut(
        id=member.id,
        chain=member.chain,
        tier=member.tier,
        available=member.available,
        pending=member.pending,
        qualifying=member.qualifying,
        enrolled_at=member.enrolled_at,
        benefits=Benefits(
            late_checkout=tier.late_checkout,
            upgrade_priority=tier.upgrade_priority,
            discount_pct=tier.discount_pct,
        ),
        next_tier=higher[0].code if higher else None,
        points_to_next_tier=higher[0].threshold - member.qualifying if higher else None,
        profiles=[ProfileLink(guest_id=p.guest_id, site=p.site) for p in links if p.site in sites],
    )


def entries_of(session: Session, member: Member, *, limit: int = 500) -> list[EntryOut]:
    rows = session.scalars(select(Entry).where(Entry.member_id == member.id).order_by(Entry.id).limit(limit))
    return [EntryOut.model_validate(e, from_attributes=True) for e in rows]


def lots_out(session: Session, member: Member) -> list[LotOut]:
    rows = session.scalars(select(Lot).where(Lot.member_id == member.id).order_by(Lot.id))
    return [LotOut.model_validate(lot, from_attributes=True) for lot in rows]


def settlement_of(session: Session, site: str) -> SettlementOut:
    rows = session.execute(
        select(Settlement.kind, func.sum(Settlement.points), func.sum(Settlement.value_minor))
        .where(Settlement.site == site)
        .group_by(Settlement.kind)
    ).all()
    sums = {kind: int(points) for kind, points, _value in rows}
    values = {kind: int(value) for kind, _points, value in rows}
    own_here = (
        session.scalar(
            select(func.coalesce(func.sum(Settlement.points), 0)).where(
                Settlement.site == site,
                Settlement.kind == "redeem_in",
                Settlement.entry_id.in_(select(Entry.id).where(Entry.site == site)),
            )
        )
        or 0
    )
    out, honoured = -int(sums.get("redeem_out", 0)), int(sums.get("redeem_in", 0))
    currency = session.scalar(select(Property.currency).where(Property.slug == site)) or "EUR"
    return SettlementOut(
        site=site,
        currency=currency,
        issued=int(sums.get("issue", 0)),
        reversed=-int(sums.get("reverse", 0)),
        expired=-int(sums.get("expire", 0)),
        redeemed_here_from_own=int(own_here),
        redeemed_elsewhere=out - int(own_here),
        honoured_for_others=honoured - int(own_here),
        outstanding=sum(int(v) for k, v in sums.items() if k != "redeem_in"),
        net_value_minor=int(values.get("redeem_in", 0)) + int(values.get("redeem_out", 0)),
    )
