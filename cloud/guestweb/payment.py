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
from cloud.billing.models import Payment
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
# Stripe refuses a checkout that expires sooner than 30 minutes or later than 24 hours after it
# is created; an open one is shown again while it has a few minutes left.
CHECKOUT_MIN_LIFE = timedelta(minutes=31)
CHECKOUT_MAX_LIFE = timedelta(hours=23)
REUSE_MARGIN = timedelta(minutes=5)


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
    open_stay = res.status == "booked" or (res.status == "checked_in" and not held.releases)
    if held.state == "released" or not open_stay or now >= held.expires_at:
        raise HoldExpired("the time to pay ran out and the room was released; please book again")
    return res, held


def start_checkout(sessions: sessionmaker[Session], provider: CheckoutProvider, *, reservation_id: str,
                   success_url: str, cancel_url: str, now: datetime, card_provider: CardProvider,
                   mail: Mailer | None = None) -> Started:
    """The checkout page for this hold: the open one again on a repeat or a double-submitted form."""
    with sessions.begin() as session:
        res, held = _payable(session, reservation_id, now=now)
        if held.checkout_session and held.checkout_url and held.checkout_expires_at \
                and held.checkout_expires_at > now + REUSE_MARGIN:
            return Started(held.checkout_url, held.checkout_session)
        minute = now.replace(second=0, microsecond=0)  # a double submit within the minute: the same request
        expires = min(held.expires_at, minute + CHECKOUT_MAX_LIFE)
        if expires < minute + CHECKOUT_MIN_LIFE:
            expires = minute + CHECKOUT_MIN_LIFE
            held.expires_at = max(held.expires_at, expires)  # Stripe's shortest checkout outlives the hold
        order = _Order(Money(held.amount_minor, res.currency), expires, res.guest_language,
                       f"{res.arrival.isoformat()} - {res.departure.isoformat()}")
    try:
        checkout = provider.create_checkout(
            amount=order.amount, description=order.description, reference=reservation_id,
            locale=order.language, success_url=success_url, cancel_url=cancel_url,
            expires_at=order.expires_at,
            idempotency_key=f"checkout:{reservation_id}:{order.amount.minor}:{int(order.expires_at.timestamp())}")
    except DeliveryError as exc:
        raise (PaymentDeclined if exc.permanent else ProviderUnavailable)(exc.reason) from exc
    with sessions.begin() as session:
        again = session.get(GuestHold, reservation_id, with_for_update=True)
        assert again is not None
        again.checkout_session, again.checkout_url = checkout.id, checkout.url
        again.checkout_expires_at = order.expires_at
        if checkout.payment_status == "paid":  # a provider that takes the money at once (the demo's)
            _settle(session, reservation_id, amount=order.amount, intent=checkout.id, provider=card_provider,
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
        reference = intent if isinstance(intent, str) and intent else str(obj.get("id"))
        done = _settle(session, str(obj.get("client_reference_id")), amount=amount, provider=provider,
                       now=now, mail=mail, intent=reference)
        return "applied" if done else "ignored"
    if kind in UNPAID:
        log.info("checkout %s ended unpaid (%s); the hold runs until it expires", obj.get("id"), kind)
        return "ignored"
    changed = billing_payments.apply_provider_event(session, event=event, now=now)
    return "applied" if changed else "ignored"


def _settle(session: Session, reservation_id: str, *, amount: Money, intent: str, provider: CardProvider,
            now: datetime, mail: Mailer | None) -> bool:
    """Post the settled payment to the folio (named by its payment intent, which refunds use)."""
    held = session.get(GuestHold, reservation_id[:26], with_for_update=True)
    if held is None or session.scalar(select(Payment.id).where(Payment.provider_ref == intent)) is not None:
        return False
    res = session.get(Reservation, held.reservation_id)
    folio = folio_of(session, held.reservation_id)
    assert res is not None and folio is not None
    if amount != Money(held.amount_minor, res.currency):
        log.error("booking %s: %s paid, the hold asked %s %s; not posted",
                  reservation_id, amount, held.amount_minor, res.currency)
        return False
    stage = PaymentStage.DEPOSIT if res.status == "booked" else PaymentStage.CHECK_OUT
    billing_payments.record_payment(
        session, folio_id=folio.id, provider=provider, now=now, started=ProviderPayment(intent, "succeeded"),
        request=PaymentRequest(amount=amount, method=PaymentMethod.CARD, stage=stage))
    if held.state != "held":
        log.warning("booking %s: paid again or after its hold was released; refund it from the folio",
                    reservation_id)
    else:
        held.state = "paid"
        if mail is not None and res.status == "booked":
            emails.booking_confirmed(session, res, paid=amount, reference=intent, now=now, mail=mail)
        elif mail is not None:  # in house: a receipt, not a second confirmation
            emails.payment_received(session, res, paid=amount, reference=intent, now=now, mail=mail)
    return True
