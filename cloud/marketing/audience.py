"""The facts segments are built from: each live profile's country, tier, stays, spend, birthday
month and consent, read from the registry (decrypted here only) and the loyalty programme."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.guests.models import Guest, GuestStay
from cloud.guests.vault import Vault
from cloud.loyalty.models import Member, MemberProfile
from cloud.marketing.models import Consent
from cloud.marketing.segments import GuestFacts


def facts_of(session: Session, vault: Vault, *, sites: Collection[str], currency: str) -> list[GuestFacts]:
    guests = list(
        session.scalars(
            select(Guest).where(Guest.site.in_(sites), Guest.erased_at.is_(None), Guest.merged_into.is_(None))
        )
    )
    ids = [g.id for g in guests]
    tiers = dict(
        session.execute(
            select(MemberProfile.guest_id, Member.tier)
            .join(Member, Member.id == MemberProfile.member_id)
            .where(MemberProfile.guest_id.in_(ids))
        ).all()
    )
    consents = {c.guest_id: c for c in session.scalars(select(Consent).where(Consent.guest_id.in_(ids)))}
    stays = {
        row[0]: (row[1], int(row[2] or 0))
        for row in session.execute(
            select(
                GuestStay.guest_id,
                func.max(GuestStay.departure),
                func.sum(GuestStay.spend_minor).filter(GuestStay.currency == currency),
            )
            .where(GuestStay.guest_id.in_(ids))
            .group_by(GuestStay.guest_id)
        )
    }
    return [
        _facts(vault, g, tier=tiers.get(g.id, "none"), consent=consents.get(g.id), stays=stays.get(g.id))
        for g in guests
    ]


def _facts(
    vault: Vault, guest: Guest, *, tier: str, consent: Consent | None, stays: tuple[date | None, int] | None
) -> GuestFacts:
    data = vault.open(guest)
    last, spend = stays or (None, 0)
    return GuestFacts(
        guest_id=guest.id,
        site=guest.site,
        country=data.nationality if data else None,
        tier=tier,
        last_stay=last,
        spend_minor=spend,
        birth_month=data.birth_date.month if data and data.birth_date else None,
        email_ok=bool(consent and consent.email and data and data.email),
        whatsapp_ok=bool(consent and consent.whatsapp and data and data.phone),
    )
