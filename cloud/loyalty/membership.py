"""One membership per person across a chain: enrolling a profile, joining a chain-mate's."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.roles import Principal
from cloud.catalog.models import Property
from cloud.guests.models import Guest
from cloud.loyalty.errors import InvalidLoyalty, MemberNotFound
from cloud.loyalty.models import Member, MemberProfile
from mqtt.envelope import new_id, utcnow


def chain_of_site(session: Session, site: str) -> str:
    chain = session.scalar(select(Property.chain).where(Property.slug == site))
    return chain or f"site:{site}"  # a property outside any chain is a chain of its own


_NO_MEMBER = "loyalty.no_member"  # session.info: profiles the current transaction made, not linked yet


def member_of_guest(session: Session, guest_id: str) -> Member | None:
    if guest_id in _unlinked(session):
        return None
    link = session.get(MemberProfile, guest_id)
    return None if link is None else session.get(Member, link.member_id)


def new_profile(session: Session, guest: Guest) -> None:
    """A profile made in this transaction holds no membership until one is linked (no lookup)."""
    _unlinked(session).add(guest.id)


def _unlinked(session: Session) -> set[str]:
    transaction = session.get_transaction()
    kept = session.info.get(_NO_MEMBER)
    if kept is None or kept[0] is not transaction:  # only ever about the transaction under way
        kept = session.info[_NO_MEMBER] = (transaction, set())
    return kept[1]


def load(session: Session, member_id: str, *, lock: bool = False) -> Member:
    query = select(Member).where(Member.id == member_id)
    member = session.scalar(query.with_for_update() if lock else query)
    if member is None:
        raise MemberNotFound(f"no member {member_id!r}")
    return member


def sites_of(session: Session, member: Member) -> list[str]:
    return sorted(
        set(session.scalars(select(MemberProfile.site).where(MemberProfile.member_id == member.id)))
    )


def enroll(session: Session, *, actor: Principal | str, guest: Guest) -> Member:
    """The guest's membership: theirs, a chain-mate profile's (same email or phone), or a new one."""
    if guest.erased_at is not None or guest.merged_into is not None:
        raise InvalidLoyalty("an erased or merged profile cannot join the programme")
    found = member_of_guest(session, guest.id) or known_member(session, guest)
    if found is None:
        now = utcnow()
        found = Member(
            id=new_id(),
            chain=chain_of_site(session, guest.site),
            tier="member",
            available=0,
            pending=0,
            qualifying=0,
            enrolled_at=now,
            updated_at=now,
        )
        session.add(found)
        session.flush()
        audit(
            session, actor, "loyalty.enroll", "loyalty_member", found.id, {"guest": guest.id}, site=guest.site
        )
    _link(session, actor=actor, member=found, guest=guest)
    return found


def join_known(session: Session, *, actor: Principal | str, guest: Guest) -> Member | None:
    """Link a profile to the membership a chain-mate profile with its email or phone holds."""
    found = member_of_guest(session, guest.id)
    if found is not None:
        return found
    found = known_member(session, guest)
    if found is not None:
        _link(session, actor=actor, member=found, guest=guest)
    return found


def known_member(session: Session, guest: Guest) -> Member | None:
    """The member holding a profile of the same person elsewhere in the chain (exact contact)."""
    keys = [(Guest.email_bidx, guest.email_bidx), (Guest.phone_bidx, guest.phone_bidx)]
    clauses = [column == value for column, value in keys if value is not None]
    if not clauses:
        return None
    chain = chain_of_site(session, guest.site)
    query = (
        select(Member)
        .join(MemberProfile, MemberProfile.member_id == Member.id)
        .join(Guest, Guest.id == MemberProfile.guest_id)
        .where(Member.chain == chain, Guest.id != guest.id, Guest.erased_at.is_(None), or_(*clauses))
        .order_by(Member.enrolled_at)
        .limit(1)
    )
    return session.scalar(query)


def _link(session: Session, *, actor: Principal | str, member: Member, guest: Guest) -> None:
    _unlinked(session).discard(guest.id)
    if session.get(MemberProfile, guest.id) is not None:
        return
    session.add(MemberProfile(guest_id=guest.id, member_id=member.id, site=guest.site, linked_at=utcnow()))
    session.flush()
    audit(session, actor, "loyalty.link", "loyalty_member", member.id, {"guest": guest.id}, site=guest.site)
