"""The payment provider's webhook for online payments: signed, checked, applied once."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from cloud.billing.errors import ProviderUnavailable
from cloud.core.deps import services
from cloud.guestweb.errors import WebhookRefused
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

    def apply() -> str:
        with app.sessions.begin() as session:
            return apply_event(session, event, now=app.clock(), provider=app.billing.provider)

    outcome = await run_in_threadpool(apply)
    return {"received": True, "outcome": outcome, "duplicate": outcome == "duplicate"}
