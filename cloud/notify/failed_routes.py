"""Failed messages for the front desk and managers: a page and its API (list, retry, send by
the recipient's other channel). Staff see the messages of their property."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from cloud.auth.accounts import visible_sites
from cloud.auth.deps import GuestDataUser
from cloud.auth.roles import Role
from cloud.core.deps import DbSession, request_time
from cloud.core.templating import templates
from cloud.notify import failed
from cloud.notify.models import OutboxMessage

api = APIRouter(prefix="/api/v1/notify/failed", tags=["notifications"])
pages = APIRouter(include_in_schema=False)
MessageId = Annotated[str, Path(max_length=32)]
Channel = Annotated[str, Path(pattern="^(email|whatsapp|telegram)$")]


def scope_of(user: GuestDataUser, db: DbSession) -> failed.Scope:
    return failed.Scope(sites=tuple(visible_sites(db, user)), unsited=user.role is Role.CHAIN_ADMIN)


ScopeDep = Annotated[failed.Scope, Depends(scope_of)]
Now = Annotated[datetime, Depends(request_time)]


class FailedMessage(BaseModel):
    id: str
    status: str
    channel: str
    recipient: str
    template: str
    site: str | None
    attempts: int
    reason: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    alternatives: list[str]


class Queued(BaseModel):
    id: str


def _out(message: OutboxMessage) -> FailedMessage:
    return FailedMessage(
        id=message.id, status=message.status, channel=message.channel, recipient=message.recipient,
        template=message.template, site=message.site, attempts=message.attempts, reason=message.last_error,
        created_at=message.created_at,
        next_attempt_at=message.next_attempt_at if message.status == "pending" else None,
        alternatives=sorted(failed.alternatives(message)))


@api.get("", response_model=list[FailedMessage])
def list_failed(db: DbSession, scope: ScopeDep) -> list[FailedMessage]:
    """Dead messages and those still being retried, newest first, with the last reason."""
    return [_out(m) for m in failed.failed(db, scope)]


@api.post("/{message_id}/retry", response_model=FailedMessage)
def retry(message_id: MessageId, db: DbSession, scope: ScopeDep, now: Now) -> FailedMessage:
    """Send it again now (its count of attempts starts afresh)."""
    return _out(failed.retry(db, scope, message_id, now=now))


@api.post("/{message_id}/send-by/{channel}", response_model=Queued, status_code=201)
def send_by(message_id: MessageId, channel: Channel, db: DbSession, scope: ScopeDep, now: Now) -> Queued:
    """Queue the same message to the recipient's address on ``channel`` (e-mail for a guest)."""
    return Queued(id=failed.send_instead(db, scope, message_id, channel=channel, now=now))


@pages.get("/messages/failed", response_class=HTMLResponse)
def failed_page(request: Request, db: DbSession, scope: ScopeDep) -> HTMLResponse:
    context: dict[str, Any] = {"messages": [_out(m) for m in failed.failed(db, scope)], "active": "messages"}
    return templates.TemplateResponse(request, "notify/failed.html", context)


@pages.post("/messages/failed/{message_id}/retry")
def retry_page(message_id: MessageId, db: DbSession, scope: ScopeDep, now: Now) -> RedirectResponse:
    failed.retry(db, scope, message_id, now=now)
    return RedirectResponse("/messages/failed", status_code=303)


@pages.post("/messages/failed/{message_id}/send-by")
def send_by_page(message_id: MessageId, db: DbSession, scope: ScopeDep, now: Now,
                 channel: Annotated[str, Form(pattern="^(email|whatsapp|telegram)$")]) -> RedirectResponse:
    failed.send_instead(db, scope, message_id, channel=channel, now=now)
    return RedirectResponse("/messages/failed", status_code=303)
