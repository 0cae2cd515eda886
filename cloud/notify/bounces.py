"""A bounce reported after the message left: the sent outbox row becomes a dead one whose reason
starts with ``bounced:`` as an immediate refusal's does, so it is listed with the failed messages."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.notify.dsn import Bounce
from cloud.notify.models import OutboxMessage

log = logging.getLogger(__name__)


def record_bounces(session: Session, bounces: list[Bounce], *, now: datetime) -> int:
    """Mark each bounced message (found by its Message-ID); the number marked. A report about a
    message we did not send, or a delay, changes nothing."""
    marked = 0
    for bounce in bounces:
        if not bounce.permanent:
            continue
        message = session.scalars(select(OutboxMessage).where(
            OutboxMessage.channel == "email", OutboxMessage.provider_id == bounce.message_id)
            .with_for_update()).first()
        if message is None:
            log.info("a bounce for %s, which is not one of ours", bounce.message_id)
            continue
        if message.status == "dead" and (message.last_error or "").startswith("bounced:"):
            continue  # reported twice
        message.status, message.lease_until = "dead", None
        reason = f"bounced: {bounce.status} {bounce.diagnostic} (reported {now:%Y-%m-%d %H:%M} UTC)"
        message.last_error = reason[:500]
        marked += 1
    return marked
