"""The guest cancels their own booking: the desk's cancellation under the rate plan's policy, the
fee posted by the ledger, what was paid beyond the fee refunded through the provider, and the
cancellation confirmed by email."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.billing.models import Payment
from cloud.billing.payments import refund_payment
from cloud.billing.settings import BillingSettings
from cloud.billing.stay_ledger import folio_of
from cloud.core.money import Money
from cloud.guestweb import emails
from cloud.guestweb.booking import reverse_extras
from cloud.guestweb.emails import Mailer
from cloud.guestweb.models import GuestHold
from cloud.payments.provider import CardProvider
from cloud.reservations.models import Reservation
from cloud.reservations.sales import cancellation
from cloud.reservations.stays.ledger import StayLedger


def cancel(session: Session, res: Reservation, *, ledger: StayLedger, provider: CardProvider, mail: Mailer,
           now: datetime, billing: BillingSettings | None = None) -> int:
    """Cancel (the extras booked online taken off the folio); the minor units refunded."""
    cancellation.cancel(session, res, now=now)
    ledger.cancelled(session, res, now=now)
    if billing is not None:
        reverse_extras(session, res, billing=billing, now=now)
    held = session.get(GuestHold, res.id)
    if held is not None and held.state == "held":
        held.state = "released"
    refunded = _refund_beyond_fee(session, res, provider=provider, now=now)
    emails.booking_cancelled(session, res, now=now, mail=mail)
    return refunded


def _refund_beyond_fee(session: Session, res: Reservation, *, provider: CardProvider, now: datetime) -> int:
    folio = folio_of(session, res.id)
    if folio is None:
        return 0
    paid = list(session.scalars(select(Payment).where(
        Payment.folio_id == folio.id, Payment.direction == "payment", Payment.status == "succeeded",
        Payment.method == "card").order_by(Payment.created_at.desc())))
    keep = res.cancellation_fee_minor
    total = sum(p.amount_minor for p in paid)
    give_back, done = max(total - keep, 0), 0
    for payment in paid:
        if done >= give_back:
            break
        already = session.scalar(select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(
            Payment.refund_of == payment.id, Payment.status != "failed")) or 0
        amount = min(payment.amount_minor - int(already), give_back - done)
        if amount <= 0:
            continue
        refund_payment(session, payment_id=payment.id, amount=Money(amount, payment.currency),
                       provider=provider, idempotency_key=f"guest-cancel:{res.id}:{payment.id}", now=now)
        done += amount
    return done
