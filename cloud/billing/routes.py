"""Billing API under /api/v1: folios, charges, payments, refunds, invoices, credit notes."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from cloud.billing import invoicing, payments, service
from cloud.billing import property_terms as terms
from cloud.billing.access import BillingUser, check_folio, check_invoice, check_payment, check_site
from cloud.billing.context import Ctx
from cloud.billing.errors import BillingConflict, InvalidAmount, ProviderUnavailable
from cloud.billing.folio import ChargeKind, Payer, PaymentMethod
from cloud.billing.payment_qr import folio_qr_payload
from cloud.billing.pdf import render_invoice
from cloud.billing.schemas import ChargeIn, FolioIn, InvoiceIn, MoneyIn, PaymentIn, RefundIn
from cloud.billing.views import folio_body, invoice_body, payment_body
from cloud.core.deps import IdempotencyKeyHeader
from cloud.core.errors import DomainError
from cloud.core.idempotency import check_key, fingerprint, replay, replay_or_run
from cloud.core.money import Money, MoneyError
from cloud.payments.qr_image import qr_png
from cloud.payments.stripe import WebhookRefused, verify_webhook

router = APIRouter(prefix="/api/v1", tags=["billing"])
# Folios, payments and invoices are for the front desk and managers of the folio's property
# (``BillingUser`` and the checks of cloud.billing.access); the provider webhook below is
# public and authenticated by its signature instead.
Work = Callable[[Session], tuple[int, dict[str, Any]]]


def money_of(value: MoneyIn) -> Money:
    try:
        return Money.parse(value.amount, value.currency)
    except MoneyError as exc:
        raise InvalidAmount(str(exc)) from None


def _idempotent(ctx: Ctx, *, scope: str, key: str | None, body: Any, work: Work) -> JSONResponse:
    """Run ``work`` once per key; a repeat gets the stored answer with Idempotent-Replayed."""
    key, print_ = check_key(key), fingerprint(scope, body)
    for attempt in range(2):
        try:
            with ctx.sessions.begin() as session:
                stored, replayed = replay_or_run(session, scope=scope, key=key, print_=print_,
                                                 work=work, now=ctx.clock)
        except IntegrityError:
            if attempt:
                raise BillingConflict("the request conflicts with data already stored") from None
            continue
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return JSONResponse(stored.body, status_code=stored.status_code, headers=headers)
    raise AssertionError("unreachable")


@router.post("/folios", status_code=201)
def open_folio(body: FolioIn, ctx: Ctx, user: BillingUser,
               key: IdempotencyKeyHeader = None) -> JSONResponse:
    check_site(ctx, user, body.site)
    def work(session: Session) -> tuple[int, dict[str, Any]]:
        spec = service.FolioSpec(
            site=body.site, currency=body.currency, reservation_id=body.reservation_id,
            guest=service.GuestInfo(body.guest.name, body.guest.language, body.guest.phone),
            master=body.master, master_folio_id=body.master_folio_id,
            routed_kinds=tuple(k.value for k in body.routed_kinds),
            company_name=body.company_name, company_tax_id=body.company_tax_id,
            arrival_at=body.arrival_at, checkout_at=body.checkout_at)
        folio = service.open_folio(session, spec, now=ctx.clock())
        return 201, folio_body(session, folio)

    return _idempotent(ctx, scope="folios", key=key, body=body.model_dump(mode="json"), work=work)


@router.get("/folios/{folio_id}")
def view_folio(folio_id: str, ctx: Ctx, user: BillingUser) -> dict[str, Any]:
    check_folio(ctx, user, folio_id)
    with ctx.sessions() as session:
        return folio_body(session, service.get_folio(session, folio_id))


@router.post("/folios/{folio_id}/departure")
def record_departure(folio_id: str, ctx: Ctx, user: BillingUser) -> dict[str, Any]:
    """The guest left; an open balance is then chased by the after-departure reminders."""
    check_folio(ctx, user, folio_id)
    with ctx.sessions.begin() as session:
        folio = service.mark_departed(session, folio_id=folio_id, at=ctx.clock())
        return folio_body(session, folio)


@router.post("/folios/{folio_id}/close")
def close_folio(folio_id: str, ctx: Ctx, user: BillingUser) -> dict[str, Any]:
    """Close a settled folio (every balance zero); closed folios take no more charges."""
    check_folio(ctx, user, folio_id)
    with ctx.sessions.begin() as session:
        folio = service.close_folio(session, folio_id=folio_id, now=ctx.clock())
        return folio_body(session, folio)


@router.post("/folios/{folio_id}/charges", status_code=201)
def post_charge(folio_id: str, body: ChargeIn, ctx: Ctx, user: BillingUser,
                key: IdempotencyKeyHeader = None) -> JSONResponse:
    check_folio(ctx, user, folio_id)
    share = body.company_share_percent
    request = service.ChargeRequest(
        kind=ChargeKind(body.kind), description=body.description,
        unit_price=money_of(body.unit_price), quantity=body.quantity, discount=body.discount,
        payer=Payer(body.payer), night=body.night,
        company_ppm=int(Decimal(share) * 10_000) if share is not None else None)

    def work(session: Session) -> tuple[int, dict[str, Any]]:
        folio = service.get_folio(session, folio_id)
        policy = terms.tax_policy(session, ctx.settings, folio.site)
        rows = service.post_charge(session, folio_id=folio_id, request=request, policy=policy,
                                   now=ctx.clock())
        return 201, {"charges": [r.id for r in rows], "folio": folio_body(session, folio)}

    return _idempotent(ctx, scope="charges", key=key,
                       body=[folio_id, body.model_dump(mode="json")], work=work)


@router.post("/folios/{folio_id}/payments", status_code=201)
def take_payment(folio_id: str, body: PaymentIn, ctx: Ctx, user: BillingUser,
                 key: IdempotencyKeyHeader = None) -> JSONResponse:
    check_folio(ctx, user, folio_id)
    request = payments.PaymentRequest(amount=money_of(body.amount), method=body.method,
                                      stage=body.stage, payer=body.payer,
                                      reference=body.reference)
    scope, request_body = "payments", [folio_id, body.model_dump(mode="json")]
    started = None
    if request.method is PaymentMethod.CARD:
        print_ = fingerprint(scope, request_body)
        with ctx.sessions() as session:  # validate, or replay, before any money moves
            stored = replay(session, scope=scope, key=check_key(key), print_=print_)
            if stored is not None:
                return JSONResponse(stored.body, status_code=stored.status_code,
                                    headers={"Idempotent-Replayed": "true"})
            payments.check_payment(session, folio_id=folio_id, request=request)
        started = payments.start_card_payment(ctx.provider, folio_id=folio_id,
                                              amount=request.amount, idempotency_key=str(key))

    def work(session: Session) -> tuple[int, dict[str, Any]]:
        payment = payments.record_payment(session, folio_id=folio_id, request=request,
                                          provider=ctx.provider, started=started,
                                          now=ctx.clock())
        answer = payment_body(payment)
        answer["client_secret"] = started.client_secret if started else None
        return 201, answer

    return _idempotent(ctx, scope=scope, key=key, body=request_body, work=work)


@router.post("/payments/{payment_id}/refunds", status_code=201)
def refund(payment_id: str, body: RefundIn, ctx: Ctx, user: BillingUser,
           key: IdempotencyKeyHeader = None) -> JSONResponse:
    check_payment(ctx, user, payment_id)
    amount = money_of(body.amount)

    def work(session: Session) -> tuple[int, dict[str, Any]]:
        row = payments.refund_payment(session, payment_id=payment_id, amount=amount,
                                      provider=ctx.provider, idempotency_key=check_key(key),
                                      now=ctx.clock())
        for hook in ctx.refund_hooks:
            hook(session, row)
        return 201, payment_body(row)

    return _idempotent(ctx, scope="refunds", key=key,
                       body=[payment_id, body.model_dump(mode="json")], work=work)


@router.post("/folios/{folio_id}/invoices", status_code=201)
def issue_invoice(folio_id: str, body: InvoiceIn, ctx: Ctx, user: BillingUser,
                  key: IdempotencyKeyHeader = None) -> JSONResponse:
    check_folio(ctx, user, folio_id)
    def work(session: Session) -> tuple[int, dict[str, Any]]:
        invoice = invoicing.issue_invoice(
            session, folio_id=folio_id, payer=Payer(body.payer),
            series=terms.invoice_series(session, ctx.settings,
                                        service.get_folio(session, folio_id).site),
            now=ctx.clock())
        return 201, invoice_body(invoice)

    return _idempotent(ctx, scope="invoices", key=key,
                       body=[folio_id, body.model_dump(mode="json")], work=work)


@router.get("/invoices/{invoice_id}")
def view_invoice(invoice_id: str, ctx: Ctx, user: BillingUser) -> dict[str, Any]:
    check_invoice(ctx, user, invoice_id)
    with ctx.sessions() as session:
        return invoice_body(invoicing.get_invoice(session, invoice_id))


@router.get("/invoices/{invoice_id}/pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def invoice_pdf(invoice_id: str, ctx: Ctx, user: BillingUser) -> Response:
    check_invoice(ctx, user, invoice_id)
    with ctx.sessions() as session:
        invoice = invoicing.get_invoice(session, invoice_id)
        site = service.get_folio(session, invoice.folio_id).site
        issuer = terms.issuer(session, ctx.settings, site).model_dump()
    number = invoicing.formatted_number(invoice)
    pdf = render_invoice(invoice, number=number, issuer=issuer,
                         font=ctx.font())
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{number}.pdf"'})


@router.post("/invoices/{invoice_id}/credit-notes", status_code=201)
def credit_note(invoice_id: str, ctx: Ctx, user: BillingUser,
                key: IdempotencyKeyHeader = None) -> JSONResponse:
    check_invoice(ctx, user, invoice_id)
    def work(session: Session) -> tuple[int, dict[str, Any]]:
        note = invoicing.issue_credit_note(
            session, invoice_id=invoice_id, series=ctx.settings.billing_credit_note_series,
            now=ctx.clock())
        return 201, invoice_body(note)

    return _idempotent(ctx, scope="credit-notes", key=key, body=[invoice_id], work=work)


@router.get("/folios/{folio_id}/payment-qr", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
def payment_qr(folio_id: str, ctx: Ctx, user: BillingUser, payer: Payer = Payer.GUEST) -> Response:
    check_folio(ctx, user, folio_id)
    with ctx.sessions() as session:
        folio = service.get_folio(session, folio_id)
        owed = service.balances(session, folio)[payer]
        payload = folio_qr_payload(folio, amount=owed, settings=ctx.settings)
    return Response(qr_png(payload), media_type="image/png",
                    headers={"X-Payment-Payload": payload})


class WebhookRejected(DomainError):
    status = 400
    type_ = "/problems/billing/webhook-refused"
    title = "Webhook refused"


@router.post("/payments/stripe/webhook")
async def stripe_webhook(request: Request, ctx: Ctx) -> dict[str, bool]:
    secret = ctx.settings.stripe_webhook_secret
    if not secret:
        raise ProviderUnavailable("POSADA_STRIPE_WEBHOOK_SECRET is not set")
    payload = await request.body()
    try:
        event = verify_webhook(payload, request.headers.get("Stripe-Signature", ""),
                               secret=secret, now=time.time(),
                               tolerance_s=ctx.settings.stripe_webhook_tolerance_s)
    except WebhookRefused as exc:
        raise WebhookRejected(str(exc)) from None
    def apply() -> bool:
        with ctx.sessions.begin() as session:
            return payments.apply_provider_event(session, event=event, now=ctx.clock())

    return {"received": True, "applied": await run_in_threadpool(apply)}
