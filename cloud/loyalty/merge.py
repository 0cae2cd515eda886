"""Two profiles of one guest merged: their memberships become one, nothing lost or counted twice.

When the registry folds a duplicate profile into the one it keeps (``cloud/guests/lifecycle.merge``)
the duplicate's membership folds into the kept profile's: every lot, ledger entry, sub-ledger line
and redemption moves to the kept membership unchanged (same ids, points and order), the balances
add up, the tier follows the summed qualifying points, the profiles the duplicate's membership
held elsewhere in the chain join too, and the surveys follow the profile. The emptied membership
stays, pointing at the kept one (``merged_into``). A profile merge is final (the duplicate's
personal data is wiped), so this is too; the audit names every lot and entry that moved.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.roles import Principal
from cloud.core.errors import Conflict
from cloud.guests.models import Guest
from cloud.loyalty import membership
from cloud.loyalty.models import Entry, Lot, Member, MemberProfile, Redemption, Settlement, Survey
from cloud.loyalty.rules import tier_for
from mqtt.envelope import utcnow


class MembershipMerge:
    """The registry's ``ProfileMerge`` hook for the loyalty programme."""

    def merge(self, session: Session, *, actor: Principal | str, keep: Guest, other: Guest) -> None:
        merge_memberships(session, actor=actor, keep=keep, other=other)


def merge_memberships(
    session: Session, *, actor: Principal | str, keep: Guest, other: Guest
) -> Member | None:
    """Fold ``other``'s membership into ``keep``'s; returns the membership ``keep`` holds after."""
    kept, gone = membership.member_of_guest(session, keep.id), membership.member_of_guest(session, other.id)
    if gone is not None and kept is not None and kept.id != gone.id:
        return _fold(session, actor=actor, keep=keep, other=other, kept=kept, gone=gone)
    moved_surveys = _surveys(session, keep=keep, other=other)
    if gone is None:
        if moved_surveys:
            audit(
                session,
                actor,
                "loyalty.profile_merge",
                "guest",
                keep.id,
                {"merged": other.id, "surveys": moved_surveys},
                site=keep.site,
            )
        return kept
    member = gone  # the kept profile takes the duplicate's place in its membership
    session.execute(delete(MemberProfile).where(MemberProfile.guest_id == other.id))
    if kept is None:
        session.add(MemberProfile(guest_id=keep.id, member_id=member.id, site=keep.site, linked_at=utcnow()))
    session.flush()
    audit(
        session,
        actor,
        "loyalty.profile_merge",
        "loyalty_member",
        member.id,
        {"guest": keep.id, "merged": other.id, "surveys": moved_surveys},
        site=keep.site,
    )
    return member


def _surveys(session: Session, *, keep: Guest, other: Guest) -> int:
    """The duplicate's surveys (answers, scores, points earned) follow the profile kept."""
    result = session.execute(update(Survey).where(Survey.guest_id == other.id).values(guest_id=keep.id))
    return int(getattr(result, "rowcount", 0) or 0)


def _fold(
    session: Session, *, actor: Principal | str, keep: Guest, other: Guest, kept: Member, gone: Member
) -> Member:
    if kept.chain != gone.chain:
        raise Conflict("the two profiles hold memberships of different chains")
    for member_id in sorted((kept.id, gone.id)):  # one lock order for every merge: no deadlock
        membership.load(session, member_id, lock=True)
    session.refresh(kept)
    session.refresh(gone)
    if gone.merged_into is not None or kept.merged_into is not None:
        raise Conflict("one of the memberships was merged already")
    ours = {
        (lot.action, lot.reservation_id)
        for lot in session.scalars(select(Lot).where(Lot.member_id == kept.id))
    }
    theirs = list(session.scalars(select(Lot).where(Lot.member_id == gone.id).order_by(Lot.id)))
    twice = sorted(
        f"{lot.action}:{lot.reservation_id or '-'}"
        for lot in theirs
        if (lot.action, lot.reservation_id) in ours
    )
    if twice:  # the same stay or action credited to both: merging would count it twice
        raise Conflict(
            f"both memberships hold points for the same stay or action ({', '.join(twice)}); "
            "reverse the duplicate before merging"
        )
    before = {
        "available": kept.available,
        "pending": kept.pending,
        "qualifying": kept.qualifying,
        "tier": kept.tier,
    }
    moved = {
        "available": gone.available,
        "pending": gone.pending,
        "qualifying": gone.qualifying,
        "tier": gone.tier,
    }
    entries = list(session.scalars(select(Entry.id).where(Entry.member_id == gone.id).order_by(Entry.id)))
    for table in (Lot, Entry, Settlement, Redemption):
        session.execute(update(table).where(table.member_id == gone.id).values(member_id=kept.id))
    profiles = list(session.scalars(select(MemberProfile).where(MemberProfile.member_id == gone.id)))
    for profile in profiles:
        if profile.guest_id == other.id:
            session.delete(profile)  # the duplicate profile holds nothing once merged
        else:
            profile.member_id = kept.id
    now = utcnow()
    kept.available += gone.available
    kept.pending += gone.pending
    kept.qualifying += gone.qualifying
    kept.tier = tier_for(kept.qualifying).code
    kept.updated_at = now
    gone.available = gone.pending = gone.qualifying = 0
    gone.tier, gone.merged_into, gone.updated_at = "member", kept.id, now
    session.flush()
    _check(session, kept)
    surveys = _surveys(session, keep=keep, other=other)
    detail = {
        "guest": keep.id,
        "merged_guest": other.id,
        "merged": gone.id,
        "before": before,
        "moved": moved,
        "lots": [lot.id for lot in theirs],
        "entries": entries,
        "profiles": [p.guest_id for p in profiles if p.guest_id != other.id],
        "surveys": surveys,
        "tier": kept.tier,
    }
    audit(session, actor, "loyalty.merge", "loyalty_member", kept.id, detail, site=keep.site)
    audit(session, actor, "loyalty.merged_into", "loyalty_member", gone.id, {"into": kept.id}, site=keep.site)
    return kept


def _check(session: Session, member: Member) -> None:
    """The merged balances are the sums of the entries that now belong to the member, to the point."""
    sums = dict(
        session.execute(
            select(Entry.bucket, func.coalesce(func.sum(Entry.points), 0))
            .where(Entry.member_id == member.id)
            .group_by(Entry.bucket)
        ).all()
    )
    if int(sums.get("available", 0)) != member.available or int(sums.get("pending", 0)) != member.pending:
        raise Conflict(f"membership {member.id}: the balances do not match its ledger; nothing was merged")
