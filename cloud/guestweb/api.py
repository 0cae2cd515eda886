"""The guest self-service API: the payment provider's webhook (signed, checked, applied once) and
the hotel's own texts of guest emails (managers)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from cloud.auth.deps import GuestDataUser, check_property, require_role
from cloud.auth.roles import Principal, Role
from cloud.billing.errors import ProviderUnavailable
from cloud.billing.folio import Payer
from cloud.billing.models import Payment
from cloud.billing.service import balances
from cloud.billing.stay_ledger import folio_of
from cloud.catalog import service as catalog
from cloud.core.deps import services
from cloud.core.idempotency import transact
from cloud.core.money import Money
from cloud.guestweb import booking as engine
from cloud.guestweb import emails
from cloud.guestweb.email_texts import LANGUAGES, PLACEHOLDERS, TEMPLATES, TemplateRefused, check
from cloud.guestweb.emails import text_for
from cloud.guestweb.errors import EmailTextRefused, WebhookRefused
from cloud.guestweb.models import EmailTemplate
from cloud.guestweb.payment import apply_event
from cloud.payments.stripe import WebhookRefused as BadSignature
from cloud.payments.stripe import verify_webhook
from cloud.reservations.models import Reservation
from cloud.reservations.web import own

router = APIRouter(prefix="/api/v1/guest", tags=["guest self-service"])


@router.post("/payments/stripe/webhook")
async def stripe_webhook(request: Request) -> dict[str, object]:
    """Stripe's events (``Stripe-Signature`` checked, within the tolerance); one already applied
    answers ``duplicate`` and changes nothing."""
    app = services(request)
    ctx = app.guestweb
    assert ctx is not None
    secret = ctx.billing.stripe_webhook_secret
    if not secret:
        raise ProviderUnavailable("POSADA_STRIPE_WEBHOOK_SECRET is not set")
    payload = await request.body()
    try:
        event = verify_webhook(payload, request.headers.get("Stripe-Signature", ""), secret=secret,
                               now=ctx.wall(), tolerance_s=ctx.billing.stripe_webhook_tolerance_s)
    except BadSignature as exc:
        raise WebhookRefused(str(exc)) from None

    mail = ctx.mailer(str(request.base_url).rstrip("/"))

    def apply() -> str:
        with app.sessions.begin() as session:
            return apply_event(session, event, now=app.clock(), provider=app.billing.provider, mail=mail)

    outcome = await run_in_threadpool(apply)
    return {"received": True, "outcome": outcome, "duplicate": outcome == "duplicate"}


class EmailTextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10_000)


class EmailTextOut(EmailTextIn):
    template: str
    language: str
    own: bool  # the hotel's text, else the default


Template = Annotated[str, Path(pattern="^(" + "|".join(TEMPLATES) + ")$")]
Language = Annotated[str, Path(pattern="^(" + "|".join(LANGUAGES) + ")$")]
Manager = Annotated[Principal, require_role(Role.MANAGER, Role.CHAIN_ADMIN)]


@router.get("/properties/{site}/emails/{template}/{language}", response_model=EmailTextOut)
def read_email_text(site: str, template: Template, language: Language, user: Manager,
                    request: Request) -> EmailTextOut:
    """The text a guest email is sent with: the hotel's own, else the default."""
    with services(request).sessions() as session:
        check_property(session, user, site)
        prop = catalog.get_property(session, site)
        own = session.get(EmailTemplate, (prop.id, template, language))
        text = text_for(session, prop, template, language)
        return EmailTextOut(template=template, language=language, own=own is not None,
                            subject=text.subject, body=text.body)


@router.put("/properties/{site}/emails/{template}/{language}", response_model=EmailTextOut)
def write_email_text(site: str, template: Template, language: Language, body: EmailTextIn, user: Manager,
                     request: Request) -> EmailTextOut:
    """Keep the hotel's own text; refused whole if it names a placeholder the email does not have."""
    try:
        check(template, body.subject)
        check(template, body.body)
    except TemplateRefused as exc:
        raise EmailTextRefused(str(exc), allowed=sorted(PLACEHOLDERS[template])) from None
    app = services(request)
    with app.sessions.begin() as session:
        check_property(session, user, site)
        prop = catalog.get_property(session, site)
        row = session.get(EmailTemplate, (prop.id, template, language)) or EmailTemplate(
            property_id=prop.id, template=template, language=language)
        row.subject, row.body = body.subject, body.body
        row.updated_at, row.updated_by = app.clock(), user.username
        session.add(row)
    return EmailTextOut(template=template, language=language, own=True, subject=body.subject, body=body.body)


class PaymentLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_minor: int | None = Field(default=None, gt=0, le=10**12, description="unset: what the guest owes")
    hours: int = Field(default=48, ge=1, le=24 * 7, description="how long the link takes payment")


class PaymentLinkOut(BaseModel):
    link: str
    amount_minor: int
    currency: str
    expires_at: datetime


@router.post("/reservations/{reservation_id}/payment-link", response_model=PaymentLinkOut, status_code=201)
def send_payment_link(reservation_id: str, body: PaymentLinkIn, user: GuestDataUser,
                      request: Request) -> PaymentLinkOut:
    """The desk's terminal-less card payment: the guest gets a link by email and pays online
    (card, Alipay, WeChat Pay) through the same checkout and webhook as the booking pages."""
    app = services(request)
    ctx = app.guestweb
    assert ctx is not None
    mail = ctx.mailer(str(request.base_url).rstrip("/"))

    def work(session: Session) -> PaymentLinkOut:
        res = own(session, user, reservation_id[:26], lock=True)
        now = app.clock()
        amount = body.amount_minor or owed_online(session, res)
        held = engine.payment_link(session, res, amount_minor=amount, now=now, hours=body.hours)
        link = emails.payment_link(session, res, amount=Money(amount, res.currency), now=now, mail=mail)
        return PaymentLinkOut(link=link, amount_minor=amount, currency=res.currency,
                              expires_at=held.expires_at)

    return transact(app.sessions, work)


def owed_online(session: Session, res: Reservation) -> int:
    """What a link asks by default: the folio's balance in house, else the deposit (or stay) not yet paid."""
    folio = folio_of(session, res.id)
    if folio is None:
        return 0
    if res.status == "checked_in":
        return balances(session, folio)[Payer.GUEST].minor
    paid = sum(p.amount_minor if p.direction == "payment" else -p.amount_minor
               for p in session.scalars(select(Payment).where(Payment.folio_id == folio.id,
                                                              Payment.status == "succeeded")))
    due = res.deposit_required_minor or res.total_minor
    return max(due - paid, 0)


class ExtraIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    per: Literal["stay", "night", "night_person"] = Field(description="counted once, every night, or "
                                                                      "every night for every guest")


class ExtraOut(BaseModel):
    code: str
    name: str
    unit_minor: int
    currency: str
    per: str


Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,32}$")]


@router.get("/properties/{site}/extras", response_model=list[ExtraOut])
def list_extras(site: str, user: Manager, request: Request) -> list[ExtraOut]:
    """The services of the property's catalogue offered as extras on the booking pages."""
    app = services(request)
    assert app.guestweb is not None
    with app.sessions() as session:
        check_property(session, user, site)
        return [ExtraOut(code=e.code, name=e.name, unit_minor=e.unit_minor, currency=e.currency, per=e.per)
                for e in app.guestweb.extras.offered(session, site=site, language="en")]


@router.put("/properties/{site}/extras/{code}", response_model=ExtraOut)
def offer_extra(site: str, code: Code, body: ExtraIn, user: Manager, request: Request) -> ExtraOut:
    """Offer a priced service of the catalogue (``/api/v1/properties/{site}/service-types``) when booking."""
    app = services(request)
    assert app.guestweb is not None
    with app.sessions.begin() as session:
        check_property(session, user, site)
        e = app.guestweb.extras.offer(session, site=site, code=code, per=body.per)
        return ExtraOut(code=e.code, name=e.name, unit_minor=e.unit_minor, currency=e.currency, per=e.per)


@router.delete("/properties/{site}/extras/{code}", status_code=204)
def withdraw_extra(site: str, code: Code, user: Manager, request: Request) -> None:
    app = services(request)
    assert app.guestweb is not None
    with app.sessions.begin() as session:
        check_property(session, user, site)
        app.guestweb.extras.withdraw(session, site=site, code=code)
