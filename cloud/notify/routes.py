"""Notification endpoints: the WhatsApp webhook (verification and inbound messages) and the
delivery status notifications (bounces) the mail server hands on."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from cloud.core.deps import services
from cloud.core.errors import DomainError
from cloud.notify import dsn
from cloud.notify.bounces import record_bounces
from cloud.notify.inbound import (
    Inbound,
    SignatureRefused,
    apply_inbound,
    inbound_messages,
    telegram_messages,
    verify_signature,
)
from cloud.notify.settings import NotifySettings

router = APIRouter(prefix="/api/v1/notify", tags=["notifications"])


@dataclass
class NotifyContext:
    sessions: sessionmaker[Session]
    settings: NotifySettings
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    # What other areas do with a guest's message, in the webhook's transaction (a service request, ...).
    inbound_hooks: list[Callable[[Session, Inbound, datetime], object]] = field(default_factory=list)


async def get_context(request: Request) -> NotifyContext:
    return services(request).notify


Ctx = Annotated[NotifyContext, Depends(get_context)]


class WebhookForbidden(DomainError):
    status = 403
    type_ = "/problems/notify/webhook-forbidden"
    title = "Webhook refused"


@router.get("/whatsapp/webhook", response_class=PlainTextResponse)
def whatsapp_subscribe(
    ctx: Ctx, mode: Annotated[str, Query(alias="hub.mode")],
    token: Annotated[str, Query(alias="hub.verify_token")],
    challenge: Annotated[str, Query(alias="hub.challenge", max_length=200)],
) -> str:
    expected = ctx.settings.whatsapp_verify_token
    if mode != "subscribe" or not expected or token != expected:
        raise WebhookForbidden("verify token does not match")
    return challenge


@router.post("/whatsapp/webhook")
async def whatsapp_inbound(request: Request, ctx: Ctx) -> dict[str, int]:
    secret = ctx.settings.whatsapp_app_secret
    payload = await request.body()
    try:
        if not secret:
            raise SignatureRefused("POSADA_WHATSAPP_APP_SECRET is not set")
        verify_signature(payload, request.headers.get("X-Hub-Signature-256"), secret=secret)
        body = json.loads(payload)
    except (SignatureRefused, ValueError) as exc:
        raise WebhookForbidden(str(exc)) from None
    messages = inbound_messages(body if isinstance(body, dict) else {})

    def store() -> None:
        with ctx.sessions.begin() as session:
            for message in messages:
                now = ctx.clock()
                apply_inbound(session, message, now=now)
                for hook in ctx.inbound_hooks:
                    hook(session, message, now)

    await run_in_threadpool(store)
    return {"messages": len(messages)}


@router.post("/telegram/webhook")
async def telegram_inbound(request: Request, ctx: Ctx) -> dict[str, int]:
    """A guest's message to the bot (setWebhook with ``secret_token``): handed to the areas' hooks."""
    secret = ctx.settings.telegram_webhook_secret
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        raise WebhookForbidden("X-Telegram-Bot-Api-Secret-Token does not match")
    try:
        body = json.loads(await request.body())
    except ValueError as exc:
        raise WebhookForbidden(f"not JSON: {exc}") from None
    messages = telegram_messages(body if isinstance(body, dict) else {})

    def store() -> None:
        with ctx.sessions.begin() as session:
            for message in messages:
                for hook in ctx.inbound_hooks:
                    hook(session, message, ctx.clock())

    await run_in_threadpool(store)
    return {"messages": len(messages)}


class NotAReport(DomainError):
    status = 422
    type_ = "/problems/notify/not-a-delivery-report"
    title = "Not a delivery status notification"


@router.post("/email/bounces")
async def email_bounce(request: Request, ctx: Ctx) -> dict[str, int]:
    """A delivery status notification (RFC 3464), raw as the mail server received it (a pipe or
    forward of the sender's bounce address): the failed message is marked bounced and listed
    with the failed messages."""
    token = ctx.settings.smtp_bounce_token
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        raise WebhookForbidden("a bearer token that matches POSADA_SMTP_BOUNCE_TOKEN is required")
    raw = await request.body()
    try:
        bounces = dsn.parse(raw)
    except dsn.NotAReport as exc:
        raise NotAReport(str(exc)) from None

    def store() -> int:
        with ctx.sessions.begin() as session:
            return record_bounces(session, bounces, now=ctx.clock())

    return {"reported": len(bounces), "bounced": await run_in_threadpool(store)}
