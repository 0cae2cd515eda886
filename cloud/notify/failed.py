"""Messages that failed: the dead and those still retrying, with their reason; sent again on
demand, or through the recipient's other channel (e-mail when WhatsApp fails)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cloud.auth.audit import record
from cloud.core.errors import Conflict, NotFound
from cloud.notify.models import OutboxMessage
from cloud.notify.outbox import enqueue


@dataclass(frozen=True, slots=True)
class Scope:
    sites: tuple[str, ...]
    unsited: bool = False  # a chain administrator also sees staff messages of no property


def failed(session: Session, scope: Scope, *, limit: int = 200) -> list[OutboxMessage]:
    """Dead messages, and pending ones that have failed at least once, newest first."""
    in_scope = OutboxMessage.site.in_(scope.sites)
    query = select(OutboxMessage).where(
        or_(OutboxMessage.status == "dead",
            (OutboxMessage.status == "pending") & (OutboxMessage.attempts > 0)),
        or_(in_scope, OutboxMessage.site.is_(None)) if scope.unsited else in_scope)
    return list(session.scalars(query.order_by(OutboxMessage.created_at.desc()).limit(limit)))


def alternatives(message: OutboxMessage) -> dict[str, str]:
    found = message.payload.get("alternatives")
    return {k: v for k, v in found.items() if isinstance(v, str)} if isinstance(found, dict) else {}


def _get(session: Session, scope: Scope, message_id: str) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None or not (message.site in scope.sites or (scope.unsited and message.site is None)):
        raise NotFound("no such message")
    return message


def retry(session: Session, scope: Scope, message_id: str, *, now: datetime) -> OutboxMessage:
    """Send a dead or retrying message again now, with a fresh count of attempts."""
    message = _get(session, scope, message_id)
    if message.status not in ("dead", "pending"):
        raise Conflict(f"the message is {message.status}")
    message.status, message.attempts, message.next_attempt_at = "pending", 0, now
    record(session, "message.retry", "message", message.id, {"channel": message.channel},
           site=message.site)
    return message


SUBJECTS = {"en": "Your stay", "es": "Su estancia", "zh": "您的住宿"}


def _as(channel: str, message: OutboxMessage) -> dict[str, Any]:
    """The message's payload for ``channel``: an e-mail gets a subject and the QR as attachment."""
    payload = {k: v for k, v in message.payload.items() if k not in ("alternatives", "image_png_b64")}
    image = message.payload.get("image_png_b64")
    if channel != "email":
        return {**payload, **({"image_png_b64": image} if image else {})}
    payload["subject"] = SUBJECTS.get(message.language, SUBJECTS["en"])
    if image:
        payload["attachments"] = [{"filename": "payment-qr.png", "content_type": "image/png", "b64": image}]
    return payload


def send_instead(session: Session, scope: Scope, message_id: str, *, channel: str,
                 now: datetime) -> str:
    """Queue the same message to the recipient's ``channel`` address; the new message's id."""
    message = _get(session, scope, message_id)
    address = alternatives(message).get(channel)
    if address is None or channel == message.channel:
        raise Conflict(f"this recipient has no {channel} address")
    if message.status == "sent":
        raise Conflict("the message was delivered")
    payload = _as(channel, message)
    dedupe = f"{message.dedupe_key}:{channel}"[:200]
    if not enqueue(session, channel=channel, recipient=address[:254], template=message.template,
                   language=message.language, payload=payload, dedupe_key=dedupe, now=now,
                   site=message.site):
        raise Conflict(f"already sent by {channel}")
    record(session, "message.send_instead", "message", message.id, {"channel": channel},
           site=message.site)
    new_id = session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe))
    return str(new_id)
