"""The guest self-service API: the payment provider's webhook (signed, checked, applied once) and
the hotel's own texts of guest emails (managers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from cloud.auth.deps import check_property, require_role
from cloud.auth.roles import Principal, Role
from cloud.billing.errors import ProviderUnavailable
from cloud.catalog import service as catalog
from cloud.core.deps import services
from cloud.guestweb.email_texts import LANGUAGES, PLACEHOLDERS, TEMPLATES, TemplateRefused, check
from cloud.guestweb.emails import text_for
from cloud.guestweb.errors import EmailTextRefused, WebhookRefused
from cloud.guestweb.models import EmailTemplate
from cloud.guestweb.payment import apply_event
from cloud.payments.stripe import WebhookRefused as BadSignature
from cloud.payments.stripe import verify_webhook

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
