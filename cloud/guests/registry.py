"""Registering, reading, updating and finding guests within the properties a user may see."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.roles import Principal
from cloud.core import plain_inserts
from cloud.guests.errors import GuestErased, GuestNotFound
from cloud.guests.models import Guest, GuestNameToken
from cloud.guests.schemas import GuestInput, GuestSummary, GuestView
from cloud.guests.vault import Vault
from mqtt.envelope import new_id, utcnow

SEARCH_LIMIT = 50


def register(session: Session, vault: Vault, *, actor: Principal | str, site: str, data: GuestInput) -> Guest:
    now = utcnow()
    guest = Guest(id=new_id(), site=site, tier="normal", stays_count=0, nights_count=0,
                  language=data.language or None, created_at=now, updated_at=now)
    vault.seal(session, guest, data, new=True)  # sealed before the insert: one statement writes it
    if not plain_inserts.add(session, guest):  # queued on a booking's PostgreSQL fast path
        session.add(guest)
    audit(session, actor, "guest.register", "guest", guest.id, {"site": site}, site=site)
    return guest


def load(session: Session, guest_id: str) -> Guest:
    guest = session.get(Guest, guest_id) if len(guest_id) <= 26 else None
    if guest is None:
        raise GuestNotFound(f"no guest {guest_id!r}")
    return guest


def update(session: Session, vault: Vault, *, actor: Principal | str, guest: Guest,
           data: GuestInput) -> Guest:
    if guest.erased_at is not None or guest.merged_into is not None:
        raise GuestErased("this guest's data was erased or merged into another profile")
    before = vault.open(guest)
    if before is not None:  # the language is kept beside the sealed data, not inside it
        before = before.model_copy(update={"language": guest.language or ""})
    vault.seal(session, guest, data)
    guest.language = data.language or None
    guest.updated_at = utcnow()
    changed = sorted(k for k in GuestInput.model_fields
                     if before is None or getattr(before, k) != getattr(data, k))
    audit(session, actor, "guest.update", "guest", guest.id, {"fields": changed}, site=guest.site)
    return guest


def view(vault: Vault, guest: Guest) -> GuestView:
    data = vault.open(guest)
    personal = data.model_dump() if data else {"name": "", "notes": ""}
    personal["language"] = guest.language or ""
    return GuestView(
        **personal, id=guest.id, site=guest.site, tier=guest.tier,  # type: ignore[arg-type]  # CHECK constraint
        frequent_since=guest.frequent_since, stays_count=guest.stays_count, nights_count=guest.nights_count,
        created_at=guest.created_at, updated_at=guest.updated_at, erased=guest.erased_at is not None,
        merged_into=guest.merged_into,
    )


def search(session: Session, vault: Vault, *, sites: Sequence[str], text: str) -> list[GuestSummary]:
    """Exact email, phone or document number; otherwise every word of the name must match."""
    text = text.strip()[:200]
    if not text or not sites:
        return []
    live = select(Guest).where(Guest.site.in_(sites), Guest.erased_at.is_(None), Guest.merged_into.is_(None))
    documents = [Guest.document_bidx == vault.document_key(c, n) for c, n in _documents(text)]
    exact = live.where(or_(Guest.email_bidx == vault.email_key(text),
                           Guest.phone_bidx == vault.phone_key(text), *documents))
    found = list(session.scalars(exact.limit(SEARCH_LIMIT)))
    tokens = vault.query_tokens(text)
    if not found and tokens:
        matching = (select(GuestNameToken.guest_id).where(GuestNameToken.token.in_(tokens))
                    .group_by(GuestNameToken.guest_id)
                    .having(func.count(func.distinct(GuestNameToken.token)) == len(set(tokens))))
        found = list(session.scalars(live.where(Guest.id.in_(matching)).limit(SEARCH_LIMIT)))
    return sorted((_summary(vault, g) for g in found), key=lambda s: s.name.casefold())


def _documents(text: str) -> list[tuple[str, str]]:
    """A document search is its country and number (``ES 12345678Z`` or ``ES:12345678Z``)."""
    head = text[:2].upper()
    if len(text) > 3 and head.isascii() and head.isalpha() and text[2] in " :-":
        return [(head, text[3:])]
    return []


def _summary(vault: Vault, guest: Guest) -> GuestSummary:
    data = vault.open(guest)
    return GuestSummary(id=guest.id, site=guest.site, name=data.name if data else "",
                        tier=guest.tier, stays_count=guest.stays_count)


def duplicates_of(session: Session, vault: Vault, guest: Guest) -> list[GuestSummary]:
    """Other live profiles at the same property sharing an email, phone, document or full name."""
    keys = [(Guest.email_bidx, guest.email_bidx), (Guest.phone_bidx, guest.phone_bidx),
            (Guest.document_bidx, guest.document_bidx), (Guest.name_bidx, guest.name_bidx)]
    clauses = [column == value for column, value in keys if value is not None]
    if not clauses:
        return []
    query = select(Guest).where(Guest.site == guest.site, Guest.id != guest.id, Guest.erased_at.is_(None),
                                Guest.merged_into.is_(None), or_(*clauses))
    return [_summary(vault, g) for g in session.scalars(query.limit(SEARCH_LIMIT))]
