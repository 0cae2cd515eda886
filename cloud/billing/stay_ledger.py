"""A stay's folio, kept in step with its reservation (the reservations' ``StayLedger`` port).

Booking opens the folio and queues the confirmation with the deposit's payment QR. Room
nights are posted at check-in, all of them at their quoted nightly rates, so the guest sees
from the first day what the stay costs and can settle at any time; an early departure
takes the unused nights back off with correcting lines (posted charges are immutable).
Cancellation and no-show fees, and a late checkout, are posted as charges. Check-out
refuses while the guest owes money unless the desk bills later (the folio stays open and
the reminders chase it).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing import property_terms as terms
from cloud.billing.errors import BalanceOwed
from cloud.billing.folio import ChargeKind, Payer
from cloud.billing.group_folios import company_pays, routing_for
from cloud.billing.guest_messages import on_booking_confirmed
from cloud.billing.invoicing import formatted_number, issue_invoice
from cloud.billing.models import Charge, Folio, Invoice
from cloud.billing.service import (
    LANGUAGES,
    ChargeRequest,
    FolioSpec,
    GuestInfo,
    balances,
    mark_departed,
    open_folio,
    post_charge,
)
from cloud.billing.settings import BillingSettings
from cloud.catalog.models import Property
from cloud.core.money import Money
from cloud.core.nights import local_instant
from cloud.notify.models import Contact
from cloud.reservations.groups.models import LongStayContract
from cloud.reservations.models import Reservation, ReservationNight
from cloud.reservations.sales import sellable
from cloud.reservations.stays.ledger import Settle

# Lines the ledger posts carry no description: kind, night and the discount flag say it all,
# and the invoice prints them in the guest's language (an English sentence would not be).


def whatsapp_number(phone: str | None) -> str | None:
    """International digits with a leading +, or None when the number cannot be messaged."""
    if not phone:
        return None
    digits = re.sub(r"[\s()-]", "", phone)
    return digits if re.fullmatch(r"\+[0-9]{6,15}", digits) else None


def folio_of(session: Session, reservation_id: str) -> Folio | None:
    return session.scalar(select(Folio).where(Folio.reservation_id == reservation_id,
                                              Folio.kind == "stay"))


class FolioLedger:
    def __init__(self, settings: BillingSettings) -> None:
        self.settings = settings

    def booked(self, session: Session, res: Reservation, *, now: datetime) -> None:
        prop = _terms(session, res)
        folio = _open(session, res, now=now, new=True, prop=prop)
        if folio.guest_phone is None or _opted_out(session, folio.guest_phone):
            return
        on_booking_confirmed(session, folio_id=folio.id, hotel=prop.name, billing=self.settings,
                             amount_due=Money(res.deposit_required_minor, res.currency), now=now)

    def modified(self, session: Session, res: Reservation, *, now: datetime) -> None:
        folio, prop = self._folio(session, res, now=now), _property(session, res)
        folio.arrival_at = local_instant(res.arrival, prop.checkin_from, prop.timezone)
        folio.checkout_at = res.checkout_due_at
        folio.guest_name, folio.guest_phone = res.guest_name, whatsapp_number(res.guest_phone)

    def cancelled(self, session: Session, res: Reservation, *, now: datetime) -> None:
        """Post the fee the rate plan asks (cancellation or no-show); nothing if it is zero."""
        folio = self._folio(session, res, now=now)
        if res.cancellation_fee_minor > 0:
            kind = ChargeKind.NO_SHOW if res.status == "no_show" else ChargeKind.CANCELLATION
            self._post(session, folio, ChargeRequest(
                kind=kind, description="",
                unit_price=Money(res.cancellation_fee_minor, res.currency)), now=now)
        folio.checkout_at = None  # no stay left to remind about

    def checked_in(self, session: Session, res: Reservation, *, now: datetime) -> None:
        folio = self._folio(session, res, now=now)
        if session.scalar(select(LongStayContract.id).where(LongStayContract.reservation_id == res.id)):
            return  # a long stay is billed by its contract, period by period (cloud/operations/long_stays)
        payer = Payer.COMPANY if company_pays(session, folio, ChargeKind.ROOM_NIGHT) else Payer.GUEST
        nights = session.scalars(select(ReservationNight).where(
            ReservationNight.reservation_id == res.id).order_by(ReservationNight.night))
        for night in nights:
            if night.amount_minor <= 0:
                continue  # a complimentary night is not a line
            self._post(session, folio, ChargeRequest(
                kind=ChargeKind.ROOM_NIGHT, description="",
                unit_price=Money(night.amount_minor, res.currency), night=night.night,
                payer=payer), now=now)

    def late_checkout(self, session: Session, res: Reservation, *, now: datetime) -> None:
        """One line for the late checkout sold; selling a different hour replaces it."""
        folio = self._folio(session, res, now=now)
        folio.checkout_at = res.checkout_due_at
        sold = _net(session, folio, ChargeKind.LATE_CHECKOUT)
        if sold.get(None, 0) > 0:
            self._post(session, folio, ChargeRequest(
                kind=ChargeKind.LATE_CHECKOUT, description="",
                unit_price=Money(sold[None], res.currency), discount=True), now=now)
        if res.late_checkout_fee_minor > 0:
            self._post(session, folio, ChargeRequest(
                kind=ChargeKind.LATE_CHECKOUT, description="",
                unit_price=Money(res.late_checkout_fee_minor, res.currency)), now=now)

    def before_check_out(self, session: Session, res: Reservation, *, settle: Settle) -> None:
        folio = folio_of(session, res.id)
        if folio is None:  # booked before stays had folios: nothing was ever posted
            return
        owed = balances(session, folio)[Payer.GUEST]
        if owed.minor > 0 and settle is Settle.REFUSE:
            raise BalanceOwed(
                f"the guest owes {owed.minor} minor units of {owed.currency} on folio {folio.id}; "
                "take the payment, or check out with settle=bill_later")

    def checked_out(self, session: Session, res: Reservation, *, now: datetime,
                    invoice: bool) -> str | None:
        """Unused nights off, departure recorded; the guest's invoice if asked and due."""
        folio = self._folio(session, res, now=now)
        self._unused_nights_off(session, folio, res, now=now)
        folio.checkout_at = res.checked_out_at or now
        mark_departed(session, folio_id=folio.id, at=now)
        pending = select(Charge.id).where(Charge.folio_id == folio.id, Charge.invoice_id.is_(None),
                                          Charge.payer == Payer.GUEST.value).limit(1)
        if not invoice or session.scalar(pending) is None:  # e.g. the company pays it all
            return None
        issued = issue_invoice(session, folio_id=folio.id, payer=Payer.GUEST,
                               series=terms.invoice_series(session, self.settings, folio.site), now=now)
        return issued.id

    def invoices(self, session: Session, res: Reservation) -> list[tuple[str, str]]:
        folio = folio_of(session, res.id)
        if folio is None:
            return []
        rows = session.scalars(select(Invoice).where(Invoice.folio_id == folio.id)
                               .order_by(Invoice.issued_at, Invoice.id))
        return [(row.id, formatted_number(row)) for row in rows]

    def _unused_nights_off(self, session: Session, folio: Folio, res: Reservation, *,
                           now: datetime) -> None:
        payer = Payer.COMPANY if company_pays(session, folio, ChargeKind.ROOM_NIGHT) else Payer.GUEST
        for night, minor in sorted(_net(session, folio, ChargeKind.ROOM_NIGHT).items(),
                                   key=lambda item: str(item[0])):
            if night is not None and night >= res.departure and minor > 0:
                self._post(session, folio, ChargeRequest(
                    kind=ChargeKind.ROOM_NIGHT, night=night, discount=True, payer=payer,
                    description="",
                    unit_price=Money(minor, res.currency)), now=now)

    def _folio(self, session: Session, res: Reservation, *, now: datetime) -> Folio:
        """The stay's folio, in the guest's language; one booked before stays had folios gets
        it now (no message)."""
        folio = folio_of(session, res.id) or _open(session, res, now=now)
        if res.guest_language in LANGUAGES:
            folio.guest_language = res.guest_language
        return folio

    def _post(self, session: Session, folio: Folio, request: ChargeRequest, *,
              now: datetime) -> None:
        post_charge(session, folio_id=folio.id, request=request,
                    policy=terms.tax_policy(session, self.settings, folio.site), now=now)


def _open(
    session: Session, res: Reservation, *, now: datetime, new: bool = False, prop: _Terms | None = None
) -> Folio:
    """``new``: the reservation was booked in this transaction (no folio can exist yet)."""
    prop = prop or _terms(session, res)
    master, routed = routing_for(session, res.block_id)
    return open_folio(session, FolioSpec(
        site=prop.slug, currency=res.currency, reservation_id=res.id,
        master_folio_id=master, routed_kinds=routed,
        guest=GuestInfo(name=res.guest_name, language=res.guest_language,
                        phone=whatsapp_number(res.guest_phone)),
        arrival_at=local_instant(res.arrival, prop.checkin_from, prop.timezone),
        checkout_at=res.checkout_due_at, new_reservation=new), now=now)


def _net(session: Session, folio: Folio, kind: ChargeKind) -> dict[date | None, int]:
    """What the stay's lines of a kind still charge, per night, before tax (discounts off)."""
    rows = session.execute(select(Charge.night, Charge.unit_minor, Charge.quantity,
                                  Charge.discount).where(
        Charge.origin_folio_id == folio.id, Charge.kind == kind.value))
    net: dict[date | None, int] = {}
    for night, unit, quantity, discount in rows:
        net[night] = net.get(night, 0) + unit * quantity * (-1 if discount else 1)
    return net


def _opted_out(session: Session, phone: str) -> bool:
    contact = session.get(Contact, ("whatsapp", phone.lstrip("+")))
    return contact is not None and contact.opted_out


class _Terms(NamedTuple):
    """What a stay's folio needs of its property."""

    slug: str
    name: str
    checkin_from: time
    timezone: str


def _terms(session: Session, res: Reservation) -> _Terms:
    """From the catalog copy the stay was just sold from (no read), else the property's row."""
    copy = sellable.copy_sold_from(session, res.id)
    if copy is not None and copy.property_id == res.property_id:
        return _Terms(copy.slug, copy.name, copy.checkin_from, copy.timezone)
    prop = _property(session, res)
    return _Terms(prop.slug, prop.name, prop.checkin_from, prop.timezone)


def _property(session: Session, res: Reservation) -> Property:
    prop = session.get(Property, res.property_id)
    assert prop is not None
    return prop
