"""Every stay belongs to a guest: a booking without a profile is matched to one or given one.

The desk, the channels and the booking engine hand their booking request here before it is
sold; personal data goes only into the registry (sealed, with blind indexes).
"""

from __future__ import annotations

from dataclasses import replace

from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.core import plain_inserts
from cloud.guests import registry
from cloud.guests.crypto import name_tokens
from cloud.guests.models import Guest
from cloud.guests.schemas import GuestInput
from cloud.guests.vault import Vault
from cloud.loyalty import membership
from cloud.loyalty.matching import Candidate, Match, MatchKind, decide
from cloud.loyalty.promotions import members_only
from cloud.reservations.sales.booking import Booking

ACTOR = "system:guest-match"
_CANDIDATES = """
SELECT id, email_bidx, phone_bidx, name_bidx FROM guests
WHERE site = %(site)s AND erased_at IS NULL AND merged_into IS NULL
  AND (email_bidx = %(email)s OR phone_bidx = %(phone)s OR name_bidx = %(name)s)
LIMIT 50
"""
_ATTACHED = "loyalty.attached_guest"


class RegistryMatcher:
    """Matches a booking to a registry profile: exact by email or phone, else by name."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def attach(self, session: Session, request: Booking) -> Booking:
        if request.guest_id is not None:
            members_only.require_member(session, site=request.property, plan=request.rate_plan,
                                        guest_id=request.guest_id)
            return request
        data = _input(request)
        match = decide(self.candidates(session, site=request.property, data=data))
        if match.guest_id is not None:
            guest = registry.load(session, match.guest_id)
        else:
            guest = registry.register(session, self._vault, actor=ACTOR, site=request.property, data=data)
            membership.new_profile(session, guest)
        membership.join_known(session, actor=ACTOR, guest=guest)
        _record(session, guest=guest, match=match)
        # The session keeps rows only while something holds them: held here, the booking's own
        # check of the profile (a moment later, same transaction) needs no second read.
        session.info[_ATTACHED] = guest
        members_only.require_member(session, site=request.property, plan=request.rate_plan, guest_id=guest.id)
        return replace(request, guest_id=guest.id)

    def candidates(self, session: Session, *, site: str, data: GuestInput) -> list[Candidate]:
        email = self._vault.email_key(data.email) if data.email else None
        phone = self._vault.phone_key(data.phone) if data.phone else None
        name = self._vault.index.digest("name", " ".join(sorted(name_tokens(data.name))))
        raw = plain_inserts.driver_connection(session)
        if raw is not None:  # a booking's fast path (PostgreSQL): the same question, no ORM
            found = raw.execute(_CANDIDATES, {"site": site, "email": email, "phone": phone, "name": name})
            return [Candidate(row[0], email=email is not None and row[1] == email,
                              phone=phone is not None and row[2] == phone, name=row[3] == name)
                    for row in found.fetchall()]
        keys = [(Guest.email_bidx, email), (Guest.phone_bidx, phone), (Guest.name_bidx, name)]
        clauses = [column == value for column, value in keys if value is not None]
        query = (
            select(Guest)
            .where(Guest.site == site, Guest.erased_at.is_(None), Guest.merged_into.is_(None), or_(*clauses))
            .limit(50)
        )
        return [
            Candidate(
                g.id,
                email=email is not None and g.email_bidx == email,
                phone=phone is not None and g.phone_bidx == phone,
                name=g.name_bidx == name,
            )
            for g in session.scalars(query)
        ]


def _input(request: Booking) -> GuestInput:
    """The booking's contact as registry input; a malformed email or phone is left out, not fatal."""
    base = {"name": request.guest_name.strip()[:200] or "?", "language": request.guest_language or ""}
    try:
        return GuestInput.model_validate({**base, "email": request.guest_email, "phone": request.guest_phone})
    except ValidationError:
        return GuestInput.model_validate({**base, "language": ""})


def _record(session: Session, *, guest: Guest, match: Match) -> None:
    detail = {"match": match.kind.value, "doubts": list(match.doubts)}
    if match.kind is not MatchKind.NEW or match.doubts:
        audit(session, ACTOR, "guest.match", "guest", guest.id, detail, site=guest.site)
