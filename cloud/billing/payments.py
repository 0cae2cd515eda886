"""Payments and refunds on a folio: cash, card through a provider, QR (bank transfer).

Only settled (``succeeded``) payments count in the balance. A card payment stays ``pending``
until the provider says it succeeded (at once, or later through its webhook).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.billing.errors import (
    BillingConflict,
    InvalidAmount,
    PaymentDeclined,
    PaymentNotFound,
    ProviderUnavailable,
)
from cloud.billing.folio import Payer, PaymentMethod, PaymentStage
from cloud.billing.models import Folio, Payment
from cloud.billing.service import get_folio
from cloud.core.delivery import DeliveryError
from cloud.core.idempotency import IdempotencyKeyReused
from cloud.core.money import Money
from cloud.payments.provider import CardProvider, ProviderPayment
from mqtt.envelope import new_id

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    amount: Money
    method: PaymentMethod
    stage: PaymentStage
    payer: Payer = Payer.GUEST
    reference: str | None = None  # the bank's reference of a QR transfer


def check_payment(session: Session, *, folio_id: str, request: PaymentRequest) -> Folio:
    """Refuse a payment before any money moves: unknown folio, wrong currency, no reference."""
    folio = get_folio(session, folio_id)
    if request.amount.currency != folio.currency or request.amount.minor <= 0:
        raise InvalidAmount(f"a payment is a positive amount in {folio.currency}")
    if request.method is PaymentMethod.QR and not request.reference:
        raise InvalidAmount("a QR payment needs the bank transfer's reference")
    return folio


def start_card_payment(provider: CardProvider, *, folio_id: str, amount: Money,
                       idempotency_key: str) -> ProviderPayment:
    """Call the provider outside any database transaction (it may take seconds); the
    idempotency key makes a retry after a lost answer return the same payment."""
    return _call(lambda: provider.create_payment(
        amount=amount, idempotency_key=f"pay:{idempotency_key}",
        description=f"Folio {folio_id}", metadata={"folio_id": folio_id}))


def record_payment(
    session: Session, *, folio_id: str, request: PaymentRequest, provider: CardProvider,
    started: ProviderPayment | None, now: datetime,
) -> Payment:
    """Store the payment; a card payment needs the provider's answer (``started``)."""
    folio = check_payment(session, folio_id=folio_id, request=request)
    payment = Payment(
        id=new_id(), folio_id=folio.id, payer=request.payer.value, direction="payment",
        method=request.method.value, stage=request.stage.value,
        amount_minor=request.amount.minor, currency=folio.currency, status="succeeded",
        created_at=now, settled_at=now,
    )
    if request.method is PaymentMethod.QR:
        payment.provider, payment.provider_ref = "qr", f"qr:{request.reference}"
    elif request.method is PaymentMethod.CARD:
        if started is None:
            raise InvalidAmount("a card payment must be started with the provider first")
        payment.provider, payment.provider_ref = provider.name, started.id
        payment.status = started.status
        payment.settled_at = now if started.status == "succeeded" else None
    session.add(payment)
    session.flush()
    return payment


def refund_payment(
    session: Session, *, payment_id: str, amount: Money, provider: CardProvider,
    idempotency_key: str, now: datetime,
) -> Payment:
    """Give back part or all of a settled payment, never more than is left of it."""
    query = select(Payment).where(Payment.id == payment_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    original = session.scalar(query)
    if original is None:
        raise PaymentNotFound(f"no payment {payment_id}")
    if original.direction != "payment" or original.status != "succeeded":
        raise BillingConflict("only a settled payment can be refunded")
    if amount.currency != original.currency or amount.minor <= 0:
        raise InvalidAmount(f"a refund is a positive amount in {original.currency}")
    refunded = session.scalar(select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(
        Payment.refund_of == original.id, Payment.status != "failed"))
    if int(refunded or 0) + amount.minor > original.amount_minor:
        raise BillingConflict(f"only {original.amount_minor - int(refunded or 0)} minor units "
                              "are left to refund")
    refund = Payment(
        id=new_id(), folio_id=original.folio_id, payer=original.payer, direction="refund",
        method=original.method, stage=original.stage, amount_minor=amount.minor,
        currency=original.currency, status="succeeded", refund_of=original.id,
        created_at=now, settled_at=now,
    )
    if original.method == PaymentMethod.CARD.value and original.provider_ref:
        ref, key = str(original.provider_ref), f"refund:{idempotency_key}"
        done = _call(lambda: provider.refund(payment_id=ref, amount=amount, idempotency_key=key))
        refund.provider, refund.provider_ref, refund.status = provider.name, done.id, done.status
        refund.settled_at = now if done.status == "succeeded" else None
    session.add(refund)
    session.flush()
    return refund


def _call(action: Any) -> ProviderPayment:
    try:
        result: ProviderPayment = action()
    except DeliveryError as exc:
        if exc.reason.startswith("idempotency_error"):
            raise IdempotencyKeyReused(exc.reason) from exc
        if exc.permanent:
            raise PaymentDeclined(exc.reason) from exc
        raise ProviderUnavailable(exc.reason) from exc
    return result


EVENT_STATUS = {
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "failed",
    "payment_intent.canceled": "failed",
    "refund.updated": None,  # carries its own status
    "refund.created": None,
}


def apply_provider_event(session: Session, *, event: dict[str, Any], now: datetime) -> bool:
    """Settle or fail a pending payment or refund from a verified provider event."""
    kind = event.get("type")
    if kind not in EVENT_STATUS:
        return False
    obj = event.get("data", {}).get("object", {})
    status = EVENT_STATUS[kind] or {"succeeded": "succeeded", "failed": "failed",
                                    "canceled": "failed"}.get(obj.get("status", ""))
    payment = session.scalar(select(Payment).where(Payment.provider_ref == obj.get("id")))
    if payment is None or status is None or payment.status == status:
        return False
    if payment.status != "pending":
        log.warning("provider event %s for settled payment %s ignored", kind, payment.id)
        return False
    received = obj.get("amount_received", obj.get("amount"))
    if status == "succeeded" and received != payment.amount_minor:
        log.error("payment %s: provider amount %s differs; left pending", payment.id, received)
        return False
    payment.status, payment.settled_at = status, now if status == "succeeded" else None
    return True
