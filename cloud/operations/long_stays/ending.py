"""The end of a long stay: alerts the desk must act on (an automatic renewal that found the room
sold) and the deposit's settlement (deductions posted to the folio, the rest refunded through the
payment path, once, audited)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.roles import Principal
from cloud.billing import property_terms
from cloud.billing.folio import ChargeKind, Payer, PaymentStage
from cloud.billing.models import Payment
from cloud.billing.payments import refund_payment
from cloud.billing.service import ChargeRequest, balances, post_charge
from cloud.billing.settings import BillingSettings
from cloud.billing.stay_ledger import folio_of
from cloud.catalog.models import Property
from cloud.core.money import Money
from cloud.core.nights import local_today
from cloud.operations.errors import InvalidOperation, OperationConflict, UnknownThing
from cloud.operations.long_stays.models import ContractAlert, DepositSettlement
from cloud.payments.provider import CardProvider
from cloud.reservations.models import Reservation
from mqtt.envelope import new_id

MAX_DEDUCTIONS = 20


def renewal_failed(session: Session, res: Reservation, *, until: date, reason: str, now: datetime) -> None:
    """Raise the desk's alert for an automatic renewal to ``until`` that was refused (once)."""
    known = session.scalar(
        select(ContractAlert.id).where(
            ContractAlert.reservation_id == res.id,
            ContractAlert.kind == "renewal_failed",
            ContractAlert.about == until,
        )
    )
    if known is not None:
        return
    alert = ContractAlert(
        id=new_id(),
        reservation_id=res.id,
        kind="renewal_failed",
        about=until,
        detail=reason[:300],
        created_at=now,
    )
    session.add(alert)
    session.flush()
    site = session.scalar(select(Property.slug).where(Property.id == res.property_id))
    audit(
        session,
        "system:long-stay-billing",
        "long_stay.renewal_failed",
        "reservation",
        res.id,
        {"alert": alert.id, "until": until.isoformat(), "reason": reason[:300]},
        site=site,
    )


def renewed(session: Session, res: Reservation, *, now: datetime) -> None:
    """A renewal went through: the stay's renewal alerts are done."""
    for alert in open_alerts(session, res.id):
        if alert.kind == "renewal_failed":
            alert.resolved_at, alert.resolved_by = now, "system:renewed"


def open_alerts(session: Session, reservation_id: str) -> list[ContractAlert]:
    return list(
        session.scalars(
            select(ContractAlert)
            .where(ContractAlert.reservation_id == reservation_id, ContractAlert.resolved_at.is_(None))
            .order_by(ContractAlert.created_at)
        )
    )


def resolve(session: Session, res: Reservation, alert_id: str, *, actor: Principal, now: datetime) -> None:
    """The desk dealt with it (renewed to other dates, moved the stay, agreed the end)."""
    alert = session.get(ContractAlert, alert_id)
    if alert is None or alert.reservation_id != res.id:
        raise UnknownThing(f"no alert {alert_id} for this stay")
    if alert.resolved_at is not None:
        raise OperationConflict("this alert was dealt with already")
    alert.resolved_at, alert.resolved_by = now, actor.username[:100]


def deposits_held(session: Session, folio_id: str) -> list[tuple[Payment, int]]:
    """The stay's settled deposit payments and what is left of each after earlier refunds."""
    paid = session.scalars(
        select(Payment)
        .where(
            Payment.folio_id == folio_id,
            Payment.direction == "payment",
            Payment.stage == PaymentStage.DEPOSIT.value,
            Payment.status == "succeeded",
        )
        .order_by(Payment.created_at.desc())
    )
    held = []
    for payment in paid:
        back = session.scalar(
            select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(
                Payment.refund_of == payment.id, Payment.status != "failed"
            )
        )
        left = payment.amount_minor - int(back or 0)
        if left > 0:
            held.append((payment, left))
    return held


def settle_deposit(
    session: Session,
    res: Reservation,
    *,
    deductions: list[tuple[str, int]],
    billing: BillingSettings,
    provider: CardProvider,
    actor: Principal,
    now: datetime,
) -> DepositSettlement:
    """At the end of the stay: post each deduction to the folio, then refund what the guest is owed,
    up to the deposit held, back to the deposit's own payments (a card's through the provider).

    What the guest is owed is the folio's credit after the deductions, so unpaid rent or extras
    come off the deposit too and nothing is refunded twice. Deductions above the deposit leave the
    guest owing the rest. Once per stay; a refusal changes nothing."""
    prop = session.get(Property, res.property_id)
    assert prop is not None
    if res.status not in ("checked_in", "checked_out"):
        raise OperationConflict(f"a {res.status} stay has no deposit to settle")
    if res.status == "checked_in" and local_today(now, prop.timezone) < res.departure:
        raise OperationConflict(
            "the deposit is settled at the end of the stay (on or after its last day)", reason="not_ended"
        )
    if session.get(DepositSettlement, res.id) is not None:
        raise OperationConflict("this stay's deposit was settled already", reason="settled")
    if len(deductions) > MAX_DEDUCTIONS:
        raise InvalidOperation(f"at most {MAX_DEDUCTIONS} deductions", reason="deduction")
    for reason, amount in deductions:
        if not reason.strip() or len(reason) > 120 or amount <= 0 or amount > 10**9:
            raise InvalidOperation(
                "each deduction has a reason (1 to 120 characters) and a positive amount", reason="deduction"
            )
    folio = folio_of(session, res.id)
    if folio is None:
        raise UnknownThing("this stay has no folio")
    held = deposits_held(session, folio.id)
    held_minor = sum(left for _payment, left in held)
    if held_minor <= 0:
        raise OperationConflict(
            "no deposit was paid for this stay (or it was refunded already)", reason="no_deposit"
        )
    policy = property_terms.tax_policy(session, billing, prop.slug)
    deducted = 0
    for reason, amount in deductions:
        request = ChargeRequest(
            kind=ChargeKind.DEDUCTION,
            description=reason.strip()[:120],
            unit_price=Money(amount, res.currency),
        )
        deducted += sum(
            c.gross_minor
            for c in post_charge(session, folio_id=folio.id, request=request, policy=policy, now=now)
        )
    owed = balances(session, folio)[Payer.GUEST].minor  # positive: the guest owes; negative: a credit
    to_refund = min(held_minor, max(0, -owed))
    refunds: list[str] = []
    left_to_refund = to_refund
    for payment, left in held:
        if left_to_refund <= 0:
            break
        amount = min(left, left_to_refund)
        refund = refund_payment(
            session,
            payment_id=payment.id,
            amount=Money(amount, payment.currency),
            provider=provider,
            idempotency_key=f"deposit:{res.id}:{payment.id}",
            now=now,
        )
        refunds.append(refund.id)
        left_to_refund -= amount
    settlement = DepositSettlement(
        reservation_id=res.id,
        held_minor=held_minor,
        deductions=[{"reason": r.strip()[:120], "amount_minor": a} for r, a in deductions],
        deducted_minor=deducted,
        refund_minor=to_refund,
        refunds=refunds,
        currency=res.currency,
        settled_at=now,
        settled_by=actor.username[:100],
    )
    session.add(settlement)
    session.flush()
    audit(
        session,
        actor,
        "long_stay.deposit_settled",
        "reservation",
        res.id,
        {
            "held_minor": held_minor,
            "deductions": settlement.deductions,
            "deducted_minor": deducted,
            "refund_minor": to_refund,
            "refunds": refunds,
        },
        site=prop.slug,
    )
    return settlement
