"""Online payment of a held booking: one hosted checkout per hold, settled only by the signed webhook.

The provider is called outside any transaction, with an idempotency key per hold and the same
parameters every time, so a double-submitted form or a retry gets the same checkout page. Only the
provider's signed event posts the payment to the folio (amount and currency checked against the
hold, named by its payment intent so refunds go back through the provider); an event already
applied is recognised by its id and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing import payments as billing_payments
from cloud.billing.errors import PaymentDeclined, ProviderUnavailable
from cloud.billing.folio import PaymentMethod, PaymentStage
from cloud.billing.payments import PaymentRequest
from cloud.billing.stay_ledger import folio_of
from cloud.core.delivery import DeliveryError
from cloud.core.money import Money
from cloud.guestweb import emails
from cloud.guestweb.emails import Mailer
from cloud.guestweb.errors import HoldExpired, NotPayable
from cloud.guestweb.models import GuestHold, ProviderEvent
from cloud.payments.checkout import CheckoutProvider
from cloud.payments.provider import CardProvider, ProviderPayment
from cloud.reservations.models import Reservation

log = logging.getLogger(__name__)
# Stripe refuses a checkout that expires sooner than 30 minutes after it is created.
CHECKOUT_MIN_LIFE = timedelta(minutes=31)


@dataclass(frozen=True)
class Started:
    url: str
    session_id: str


@dataclass(frozen=True)
class _Order:
    amount: Money
    expires_at: datetime
    language: str
    description: str


def _payable(session: Session, reservation_id: str, *, now: datetime) -> tuple[Reservation, GuestHold]:
    held = session.get(GuestHold, reservation_id, with_for_update=True)
    res = session.get(Reservation, reservation_id)
    if held is None or res is None:
        raise NotPayable("this booking is not paid online")
    if held.state == "paid":
        raise NotPayable("this booking is already paid")
    if held.state == "released" or res.status != "booked" or now >= held.expires_at:
        raise HoldExpired("the time to pay ran out and the room was released; please book again")
    return res, held


def start_checkout(sessions: sessionmaker[Session], provider: CheckoutProvider, *, reservation_id: str,
                   success_url: str, cancel_url: str, now: datetime, card_provider: CardProvider,
                   mail: Mailer | None = None) -> Started:
    """The checkout page for this hold: the same one on a repeat or a double-submitted form."""
    with sessions.begin() as session:
        res, held = _payable(session, reservation_id, now=now)
        if held.checkout_session is None and held.expires_at < now + CHECKOUT_MIN_LIFE:
            held.expires_at = now + CHECKOUT_MIN_LIFE  # fixed once, so every retry sends the same
        order = _Order(Money(held.amount_minor, res.currency), held.expires_at, res.guest_language,
                       f"{res.arrival.isoformat()} - {res.departure.isoformat()}")
    try:
        checkout = provider.create_checkout(
            amount=order.amount, description=order.description, reference=reservation_id,
            locale=order.language, success_url=success_url, cancel_url=cancel_url,
            expires_at=order.expires_at, idempotency_key=f"checkout:{reservation_id}")
    except DeliveryError as exc:
        raise (PaymentDeclined if exc.permanent else ProviderUnavailable)(exc.reason) from exc
    with sessions.begin() as session:
        again = session.get(GuestHold, reservation_id, with_for_update=True)
        assert again is not None
        again.checkout_session = again.checkout_session or checkout.id
        if checkout.payment_status == "paid":  # a provider that takes the money at once (the demo's)
            _settle(session, checkout.id, amount=order.amount, intent=checkout.id, provider=card_provider,
                    now=now, mail=mail)
    return Started(checkout.url, checkout.id)


SETTLING = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
UNPAID = {"checkout.session.async_payment_failed", "checkout.session.expired"}


def apply_event(session: Session, event: dict[str, Any], *, now: datetime, provider: CardProvider,
                mail: Mailer | None = None) -> str:
    """Apply a verified provider event once: "applied", "duplicate" or "ignored"."""
    event_id, kind = event.get("id"), str(event.get("type"))
    if not isinstance(event_id, str) or not event_id:
        return "ignored"
    try:
        with session.begin_nested():
            session.add(ProviderEvent(id=event_id[:255], type=kind[:64], received_at=now))
    except IntegrityError:
        return "duplicate"
    obj = event.get("data", {}).get("object", {})
    if not isinstance(obj, dict):
        return "ignored"
    if kind in SETTLING and obj.get("payment_status") == "paid":
        amount = Money(int(obj.get("amount_total", -1)), str(obj.get("currency", "")).upper())
        intent = obj.get("payment_intent")
        done = _settle(session, str(obj.get("id")), amount=amount, provider=provider, now=now, mail=mail,
                       intent=intent if isinstance(intent, str) and intent else str(obj.get("id")))
        return "applied" if done else "ignored"
    if kind in UNPAID:
        log.info("checkout %s ended unpaid (%s); the hold runs until it expires", obj.get("id"), kind)
        return "ignored"
    changed = billing_payments.apply_provider_event(session, event=event, now=now)
    return "applied" if changed else "ignored"


def _settle(session: Session, session_id: str, *, amount: Money, intent: str, provider: CardProvider,
            now: datetime, mail: Mailer | None) -> bool:
    """Post the settled payment to the folio (named by its payment intent, which refunds use)."""
    held = session.scalar(select(GuestHold).where(GuestHold.checkout_session == session_id)
                          .with_for_update())
    if held is None or held.state == "paid":
        return False
    res = session.get(Reservation, held.reservation_id)
    folio = folio_of(session, held.reservation_id)
    assert res is not None and folio is not None
    if amount != Money(held.amount_minor, res.currency):
        log.error("checkout %s paid %s, the hold asked %s %s; not posted",
                  session_id, amount, held.amount_minor, res.currency)
        return False
    stage = PaymentStage.DEPOSIT if res.status == "booked" else PaymentStage.CHECK_OUT
    billing_payments.record_payment(
        session, folio_id=folio.id, provider=provider, now=now, started=ProviderPayment(intent, "succeeded"),
        request=PaymentRequest(amount=amount, method=PaymentMethod.CARD, stage=stage))
    if held.state == "released":
        log.warning("checkout %s was paid after its hold was released; refund it from the folio", session_id)
    else:
        held.state = "paid"
        if mail is not None:
            emails.booking_confirmed(session, res, paid=amount, reference=intent, now=now, mail=mail)
    return True
