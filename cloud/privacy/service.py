"""A guest's copies in reservations, folios, invoices, channel bookings, pre-check-ins and messages.

Found by the registry's guest id (reservations linked to the profile) and by the blind indexes of
the guest's e-mail and phone (reservations nobody linked, queued messages). Erasure blanks the
name, e-mail and phone of each copy, the company name of its folios and the description of their
charges (amounts, taxes and kinds stay for the books), and deletes the messages; an issued
invoice keeps the buyer's legal name and tax id and its lines' descriptions (tax law: invoices
are kept unchanged for the retention period), so export shows them and erasure leaves them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from cloud.billing.models import Charge, Folio, Invoice
from cloud.catalog.models import Property
from cloud.channels.models import ChannelReservation
from cloud.guests.models import Guest
from cloud.guests.schemas import GuestInput
from cloud.guestweb.models import PreCheckIn
from cloud.notify.models import Contact, OutboxMessage
from cloud.privacy import free_text
from cloud.reservations.models import Reservation

ERASED = "[erased]"
# a channel booking's detail without the guest's contacts (its prices are no personal data)
KEPT_DETAIL = (
    "adults", "children", "folio_minor", "gross_minor", "tax_included", "taxes_stated_minor", "tax_note"
)


@dataclass(frozen=True)
class Held:
    reservations: list[Reservation]
    folios: list[Folio]
    addresses: set[str]


def _held(session: Session, guest: Guest, data: GuestInput | None) -> Held:
    linked = [Reservation.guest_id == guest.id]
    if data is not None and data.email:
        same_site = select(Property.id).where(Property.slug == guest.site).scalar_subquery()
        linked.append((Reservation.guest_email_bidx == data.email) & (Reservation.property_id == same_site))
    reservations = list(
        session.scalars(select(Reservation).where(or_(*linked)).order_by(Reservation.arrival))
    )
    ids = [r.id for r in reservations]
    folios = list(session.scalars(select(Folio).where(Folio.reservation_id.in_(ids)))) if ids else []
    addresses = {a for r in reservations for a in (r.guest_email, r.guest_phone) if a}
    addresses |= {f.guest_phone for f in folios if f.guest_phone}
    if data is not None:
        addresses |= {a for a in (data.email, data.phone) if a}
    return Held(reservations=reservations, folios=folios, addresses=addresses)


def _messages(session: Session, addresses: set[str]) -> list[OutboxMessage]:
    if not addresses:
        return []
    query = select(OutboxMessage).where(OutboxMessage.recipient_bidx.in_(sorted(addresses)))
    return list(session.scalars(query.order_by(OutboxMessage.created_at)))


def _charges(session: Session, folios: list[Folio]) -> list[Charge]:
    """The lines posted on the guest's folios, those routed to a company's master folio too."""
    ids = [f.id for f in folios]
    if not ids:
        return []
    query = select(Charge).where(or_(Charge.origin_folio_id.in_(ids), Charge.folio_id.in_(ids)))
    return list(session.scalars(query.order_by(Charge.posted_at, Charge.id)))


def _by_reservation(session: Session, model: Any, ids: list[str]) -> list[Any]:
    return list(session.scalars(select(model).where(model.reservation_id.in_(ids)))) if ids else []


@dataclass(frozen=True)
class GuestCopies:
    """The :class:`cloud.guests.context.PersonalCopies` of every area but the registry."""

    def export(self, session: Session, *, guest: Guest, data: GuestInput | None) -> dict[str, Any]:
        held = _held(session, guest, data)
        ids = [r.id for r in held.reservations]
        folio_ids = [f.id for f in held.folios]
        invoices = (
            list(session.scalars(select(Invoice).where(Invoice.folio_id.in_(folio_ids)))) if folio_ids else []
        )
        return {
            "reservations": [
                {
                    "id": r.id,
                    "arrival": r.arrival.isoformat(),
                    "departure": r.departure.isoformat(),
                    "status": r.status,
                    "name": r.guest_name,
                    "email": r.guest_email,
                    "phone": r.guest_phone,
                }
                for r in held.reservations
            ],
            "folios": [{"id": f.id, "name": f.guest_name, "phone": f.guest_phone, "company": f.company_name}
                       for f in held.folios],
            "charges": [{"id": c.id, "folio": c.origin_folio_id, "kind": c.kind, "description": c.description,
                         "posted_at": c.posted_at.isoformat()} for c in _charges(session, held.folios)],
            "invoices": [
                {"id": i.id, "series": i.series, "number": i.number, "bill_to": i.bill_to} for i in invoices
            ],
            "channel_bookings": [
                {"confirmation": c.confirmation, "name": c.guest_name, "detail": c.detail}
                for c in _by_reservation(session, ChannelReservation, ids)
            ],
            "pre_check_ins": [
                {"reservation": p.reservation_id, "signed_name": p.signed_name}
                for p in _by_reservation(session, PreCheckIn, ids)
            ],
            **free_text.export(session, guest, held.reservations),
            "messages": [
                {
                    "channel": m.channel,
                    "to": m.recipient,
                    "template": m.template,
                    "status": m.status,
                    "created_at": m.created_at.isoformat(),
                }
                for m in _messages(session, held.addresses)
            ],
        }

    def erase(self, session: Session, *, guest: Guest, data: GuestInput | None) -> dict[str, int]:
        held = _held(session, guest, data)
        ids = [r.id for r in held.reservations]
        written = free_text.erase(session, guest, held.reservations)
        for res in held.reservations:
            res.guest_name, res.guest_email, res.guest_phone = ERASED, None, None
        for folio in held.folios:
            folio.guest_name, folio.guest_phone = ERASED, None
            if folio.company_name is not None:  # still billed to a company: only its name goes
                folio.company_name = ERASED
        charges = _charges(session, held.folios)
        for charge in charges:
            charge.description = ERASED
        bookings = _by_reservation(session, ChannelReservation, ids)
        for booking in bookings:
            booking.guest_name = ERASED
            booking.detail = {k: v for k, v in booking.detail.items() if k in KEPT_DETAIL}
        signed = _by_reservation(session, PreCheckIn, ids)
        for card in signed:
            card.signed_name = ERASED
        messages = _messages(session, held.addresses)
        for message in messages:
            session.delete(message)
        contacts = {a.lstrip("+") for a in held.addresses} | held.addresses
        session.execute(delete(Contact).where(Contact.address_bidx.in_(sorted(contacts))))
        session.flush()
        return {
            "reservations": len(held.reservations),
            "folios": len(held.folios),
            "charges": len(charges),
            "channel_bookings": len(bookings),
            "pre_check_ins": len(signed),
            "messages": len(messages),
            **written,
        }
