"""Recording consent, and unsubscribing: at once, for every profile of the same person, with
anything already queued for them withdrawn from the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.roles import Principal
from cloud.guests.models import Guest
from cloud.loyalty.models import MemberProfile
from cloud.marketing.models import Consent
from cloud.notify.models import OutboxMessage


def set_consent(
    session: Session, *, actor: Principal | str, guest: Guest, email: bool, whatsapp: bool, now: datetime
) -> Consent:
    row = session.get(Consent, guest.id)
    if row is None:
        row = Consent(guest_id=guest.id, site=guest.site, email=False, whatsapp=False, updated_at=now)
        session.add(row)
    row.email, row.whatsapp, row.updated_at = email, whatsapp, now
    if email or whatsapp:
        row.unsubscribed_at = None
    session.flush()
    audit(
        session,
        actor,
        "marketing.consent",
        "guest",
        guest.id,
        {"email": email, "whatsapp": whatsapp},
        site=guest.site,
    )
    return row


def unsubscribe(session: Session, *, guest_id: str, now: datetime) -> int:
    """Stop all marketing to the person (their profiles across the chain); returns profiles stopped."""
    ids = {guest_id} | set(_same_person(session, guest_id))
    for gid in sorted(ids):
        guest = session.get(Guest, gid)
        if guest is None:
            continue
        row = session.get(Consent, gid) or Consent(guest_id=gid, site=guest.site, updated_at=now)
        row.email, row.whatsapp, row.updated_at, row.unsubscribed_at = False, False, now, now
        session.add(row)
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.dedupe_key.like(f"marketing:%:{gid}"))
            .values(status="suppressed", last_error="unsubscribed")
        )
        audit(session, "guest:unsubscribe", "marketing.unsubscribe", "guest", gid, site=guest.site)
    session.flush()
    return len(ids)


def _same_person(session: Session, guest_id: str) -> list[str]:
    member = session.scalar(select(MemberProfile.member_id).where(MemberProfile.guest_id == guest_id))
    if member is None:
        return []
    return list(session.scalars(select(MemberProfile.guest_id).where(MemberProfile.member_id == member)))
