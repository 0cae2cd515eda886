"""A guest's life: stays and the frequent tier, merging duplicates, export and erasure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cloud.auth.audit import audit, history
from cloud.auth.roles import Principal
from cloud.core.errors import Conflict
from cloud.guests.errors import GuestErased, InvalidGuest
from cloud.guests.models import Guest, GuestStay
from cloud.guests.registry import view
from cloud.guests.schemas import GuestInput, StayView
from cloud.guests.settings import GuestSettings
from cloud.guests.vault import Vault
from mqtt.envelope import new_id, utcnow

if TYPE_CHECKING:
    from cloud.guests.context import PersonalCopies, ProfileMerge


def record_stay(session: Session, *, guest: Guest, site: str, arrival: date, departure: date,
                spend_minor: int, currency: str, settings: GuestSettings,
                reservation_id: str | None = None) -> GuestStay:
    """Called at check-out; idempotent by reservation id. Promotes to frequent at the thresholds."""
    if departure <= arrival or spend_minor < 0 or len(currency) != 3:
        raise InvalidGuest("a stay needs departure after arrival, spend >= 0 and a 3-letter currency")
    if reservation_id is not None:
        known = session.scalar(select(GuestStay).where(GuestStay.reservation_id == reservation_id))
        if known is not None:
            return known
    stay = GuestStay(id=new_id(), guest_id=guest.id, site=site, reservation_id=reservation_id,
                     arrival=arrival, departure=departure, nights=(departure - arrival).days,
                     spend_minor=spend_minor, currency=currency.upper(), recorded_at=utcnow())
    session.add(stay)
    session.flush()
    _recount(session, guest, settings)
    audit(session, "system:stays", "guest.stay", "guest", guest.id,
          {"stay": stay.id, "reservation": reservation_id}, site=site)
    return stay


def _recount(session: Session, guest: Guest, settings: GuestSettings) -> None:
    stays, nights = session.execute(
        select(func.count(GuestStay.id), func.coalesce(func.sum(GuestStay.nights), 0))
        .where(GuestStay.guest_id == guest.id)).one()
    guest.stays_count, guest.nights_count = int(stays), int(nights)
    qualifies = stays >= settings.frequent_guest_stays or nights >= settings.frequent_guest_nights
    if qualifies and guest.tier != "frequent":
        guest.tier, guest.frequent_since = "frequent", utcnow()
    guest.updated_at = utcnow()


def stays_of(session: Session, guest: Guest) -> list[StayView]:
    query = select(GuestStay).where(GuestStay.guest_id == guest.id).order_by(GuestStay.arrival.desc())
    return [StayView.model_validate(s, from_attributes=True) for s in session.scalars(query)]


def spend_of(stays: list[StayView]) -> dict[str, int]:
    """Total spend per currency, in minor units."""
    totals: dict[str, int] = {}
    for stay in stays:
        totals[stay.currency] = totals.get(stay.currency, 0) + stay.spend_minor
    return totals


def merge(session: Session, vault: Vault, *, actor: Principal | str, keep: Guest, other: Guest,
          settings: GuestSettings, hooks: Sequence[ProfileMerge] = ()) -> Guest:
    """Fold ``other`` into ``keep``: stays move, empty fields fill, notes join; ``other`` points on.

    Other areas fold what they keep per profile first (``hooks``: the loyalty membership, ...).
    A merge is final: ``other``'s personal data is wiped, so there is no unmerge."""
    if keep.id == other.id or keep.site != other.site:
        raise Conflict("merge two different profiles of the same property")
    a, b = vault.open(keep), vault.open(other)
    if a is None or b is None or other.merged_into or keep.merged_into:
        raise GuestErased("an erased or already merged profile cannot be merged")
    for hook in hooks:
        hook.merge(session, actor=actor, keep=keep, other=other)
    merged = _combine(a, b)
    vault.seal(session, keep, merged)
    keep.language = keep.language or other.language
    session.execute(update(GuestStay).where(GuestStay.guest_id == other.id).values(guest_id=keep.id))
    vault.wipe(session, other)
    other.merged_into, other.stays_count, other.nights_count = keep.id, 0, 0
    other.updated_at = utcnow()
    session.flush()
    _recount(session, keep, settings)
    audit(session, actor, "guest.merge", "guest", keep.id, {"merged": other.id}, site=keep.site)
    audit(session, actor, "guest.merged_into", "guest", other.id, {"into": keep.id}, site=keep.site)
    return keep


def _combine(a: GuestInput, b: GuestInput) -> GuestInput:
    fields: dict[str, Any] = {}
    for name in GuestInput.model_fields:
        mine, theirs = getattr(a, name), getattr(b, name)
        fields[name] = mine if mine not in (None, "") else theirs
    prefs = {k: v or getattr(b.preferences, k) for k, v in a.preferences.model_dump().items()}
    fields["preferences"] = prefs
    fields["notes"] = "\n".join(n for n in (a.notes, b.notes) if n)[:4000]
    return GuestInput.model_validate({k: (v.model_dump() if hasattr(v, "model_dump") else v)
                                      for k, v in fields.items()})


def export(session: Session, vault: Vault, *, actor: Principal | str, guest: Guest,
           copies: Sequence[PersonalCopies] = ()) -> dict[str, Any]:
    """Everything held about a guest, as JSON-ready data (a data subject access request): the
    profile, the stays and every copy other areas keep (reservations, folios, invoices, messages)."""
    stays = stays_of(session, guest)
    data = vault.open(guest)
    held: dict[str, Any] = {}
    for copy in copies:
        held.update(copy.export(session, guest=guest, data=data))
    entries = history(session, entity="guest", entity_id=guest.id)
    audit(session, actor, "guest.export", "guest", guest.id, site=guest.site)
    return {
        "guest": view(vault, guest).model_dump(mode="json"),
        "stays": [s.model_dump(mode="json") for s in stays],
        "spend": spend_of(stays),
        "audit": [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action} for e in entries],
        **held,
        "exported_at": utcnow().isoformat(),
    }


def erase(session: Session, vault: Vault, *, actor: Principal | str, guest: Guest,
          copies: Sequence[PersonalCopies] = ()) -> Guest:
    """Destroy the personal data and every copy of it; the id, tier and anonymous stay figures
    remain for the books, and issued invoices keep the buyer's legal name and tax id."""
    if guest.erased_at is not None:
        return guest
    data = vault.open(guest)
    erased: dict[str, int] = {}
    for copy in copies:  # before the wipe: the copies are found by the guest's e-mail and phone too
        erased.update(copy.erase(session, guest=guest, data=data))
    vault.wipe(session, guest)
    guest.language = None
    guest.erased_at = guest.updated_at = utcnow()
    audit(session, actor, "guest.erase", "guest", guest.id, {"copies": erased}, site=guest.site)
    return guest
