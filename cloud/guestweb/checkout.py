"""Self check-out from the phone: the folio as the guest sees it, then the desk's own check-out
(cards and phone key revoked, the room to housekeeping, unused nights back on sale) with the
invoice issued and emailed in the same transaction; refused while the guest owes money."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing import invoicing
from cloud.billing import property_terms as terms
from cloud.billing.context import BillingContext
from cloud.billing.folio import Payer
from cloud.billing.models import Charge, Payment
from cloud.billing.pdf import render_invoice
from cloud.billing.service import balances
from cloud.billing.stay_ledger import folio_of
from cloud.core.money import Money
from cloud.guestweb import booking, emails
from cloud.guestweb.emails import Mailer
from cloud.guestweb.models import GuestHold
from cloud.reservations.errors import InvalidRequest, WrongState
from cloud.reservations.models import Reservation
from cloud.reservations.stays import service as stays
from cloud.reservations.stays.guest_history import StayHistory
from cloud.reservations.stays.ledger import Settle, StayLedger

ACTOR = "guest:self-service"


@dataclass(frozen=True)
class FolioView:
    charges: list[Charge]
    payments: list[Payment]
    owed: Money


def folio_view(session: Session, res: Reservation) -> FolioView:
    folio = folio_of(session, res.id)
    if folio is None:
        return FolioView([], [], Money(0, res.currency))
    charges = list(session.scalars(select(Charge).where(Charge.folio_id == folio.id, Charge.payer == "guest")
                                   .order_by(Charge.posted_at)))
    payments = list(session.scalars(select(Payment).where(Payment.folio_id == folio.id,
                                                          Payment.status == "succeeded")
                                    .order_by(Payment.created_at)))
    return FolioView(charges, payments, balances(session, folio)[Payer.GUEST])


BALANCE_HOURS = 1  # a balance checkout is opened to be paid at once (Stripe keeps it 31 minutes or more)


def ask_balance(session: Session, res: Reservation, *, now: datetime) -> None:
    """Hold what the guest owes for an online payment; an open checkout for that amount is kept."""
    if res.status != "checked_in":
        raise WrongState("only a stay in house is paid at check-out")
    owed = folio_view(session, res).owed.minor
    if owed <= 0:
        raise InvalidRequest("nothing is owed")
    held = session.get(GuestHold, res.id, with_for_update=True)
    if held is not None and held.state == "held" and held.amount_minor == owed and now < held.expires_at:
        return  # the same balance: its open checkout is shown again
    booking.payment_link(session, res, amount_minor=owed, now=now, hours=BALANCE_HOURS)


def check_out(session: Session, res: Reservation, *, ledger: StayLedger, history: StayHistory,
              billing: BillingContext, mail: Mailer, now: datetime) -> str | None:
    """The desk's check-out path; the guest's invoice (if any) is queued to their email."""
    ledger.before_check_out(session, res, settle=Settle.REFUSE)  # BalanceOwed while money is owed
    stays.check_out(session, res, now=now, history=history, actor=ACTOR)
    invoice_id = ledger.checked_out(session, res, now=now, invoice=True)
    if invoice_id is None:
        return None
    invoice = invoicing.get_invoice(session, invoice_id)
    folio = folio_of(session, res.id)
    assert folio is not None
    number = invoicing.formatted_number(invoice)
    issuer = terms.issuer(session, billing.settings, folio.site).model_dump()
    pdf = render_invoice(invoice, number=number, issuer=issuer, font=billing.font())
    paid = sum(p.amount_minor if p.direction == "payment" else -p.amount_minor
               for p in folio_view(session, res).payments)
    total = Money(invoice.total_minor, invoice.currency)
    emails.stay_invoice(session, res, number=number, pdf=pdf, total=total,
                        paid=Money(paid, invoice.currency), now=now, mail=mail)
    return invoice_id
