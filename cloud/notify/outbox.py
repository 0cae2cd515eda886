"""The durable notification outbox: enqueue in the business transaction, send from a worker.

Delivery is at-least-once, with the duplicate window made as small as we can:
1. claim: one short transaction moves due rows to ``sending`` with a lease and bumps
   ``attempts`` (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: ``BEGIN IMMEDIATE``), so two
   workers never hold the same row;
2. send outside any transaction, passing the row id as the idempotency key where the API
   takes one;
3. record the outcome in one transaction, fenced by ``attempts``: a worker whose lease ran out
   and whose row another worker re-claimed changes nothing.
A crash before (3) leaves the row ``sending``; when its lease expires it is sent again. If the
crash came after the provider accepted the message, the guest gets it twice: the Telegram Bot
API and the WhatsApp Cloud API take no idempotency key, so no client can rule that out. The
alternative (never resend an expired lease: at-most-once) would silently lose messages that
were claimed but never sent, which for payment reminders and housekeeping calls is worse than
a rare duplicate. Rows that were recorded ``sent`` are never sent again after a restart.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.delivery import DeliveryError
from cloud.guests.sealed import normalize_address
from cloud.notify.delivery import OutboundMessage, Sender
from cloud.notify.models import Contact, OutboxMessage
from mqtt.envelope import new_id

log = logging.getLogger(__name__)
SESSION_WINDOW = timedelta(hours=24)


def enqueue(
    session: Session, *, channel: str, recipient: str, template: str, language: str,
    payload: dict[str, Any], dedupe_key: str, now: datetime, not_before: datetime | None = None,
    site: str | None = None, alternatives: dict[str, str] | None = None,
) -> bool:
    """Add a message in the caller's transaction; False if that dedupe key was already queued.

    ``site``: the property whose staff see it if it fails; ``alternatives``: the recipient's
    other channels (``{"email": ...}``), offered when this one fails."""
    if alternatives:
        payload = {**payload, "alternatives": alternatives}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = session.execute(
        insert(OutboxMessage).values(
            id=new_id(), dedupe_key=dedupe_key, channel=channel, recipient=recipient,
            recipient_bidx=recipient,  # its blind index: erasure and export find the messages
            template=template, language=language, payload=payload, status="pending",
            attempts=0, next_attempt_at=not_before or now, created_at=now, site=site,
        ).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(OutboxMessage.id)
    )
    return result.scalar_one_or_none() is not None


def image_payload(text: str, png: bytes | None, params: list[str]) -> dict[str, Any]:
    payload: dict[str, Any] = {"text": text, "params": params}
    if png is not None:
        payload["image_png_b64"] = base64.b64encode(png).decode("ascii")
    return payload


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    base_s: float = 5.0
    max_s: float = 3600.0
    lease_s: float = 120.0

    def delay(self, attempts: int, retry_after: float | None) -> timedelta:
        """Exponential backoff (base x 2^(n-1), capped), never sooner than the API asked."""
        backoff = min(self.max_s, self.base_s * 2 ** max(0, attempts - 1))
        return timedelta(seconds=max(backoff, retry_after or 0.0))


@dataclass
class OutboxCounters:
    """What the worker did since it started, for /health and metrics."""

    sent: int = 0
    retried: int = 0
    dead: int = 0
    suppressed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + n)


@dataclass(frozen=True, slots=True)
class Claim:
    message: OutboundMessage
    attempts: int


class OutboxWorker:
    """Claims due messages, hands each to its channel's sender, records the outcome."""

    def __init__(self, sessions: sessionmaker[Session], senders: dict[str, Sender], *,
                 policy: RetryPolicy, clock: Callable[[], datetime],
                 templates: dict[str, str] | None = None, parallel: int = 1) -> None:
        self.sessions = sessions
        self.pool = ThreadPoolExecutor(parallel, "outbox-send") if parallel > 1 else None
        self.senders = senders
        self.policy = policy
        self.clock = clock
        self.templates = templates or {}
        self.counters = OutboxCounters()

    def run_once(self, limit: int = 50) -> int:
        """One round; returns how many messages were handed to senders."""
        claims = self.claim(limit)
        if self.pool is not None:
            list(self.pool.map(self.deliver, claims))
        else:
            for claim in claims:
                self.deliver(claim)
        return len(claims)

    def claim(self, limit: int) -> list[Claim]:
        now = self.clock()
        with self.sessions.begin() as session:
            due = select(OutboxMessage).where(
                OutboxMessage.channel.in_(list(self.senders)),
                or_(
                    (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now),
                    (OutboxMessage.status == "sending") & (OutboxMessage.lease_until < now),
                ),
            ).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            rows = list(session.scalars(due))
            contacts = self._contacts(session, rows)
            claims = []
            for row in rows:
                contact = contacts.get((row.channel, normalize_address(row.recipient)))
                if contact is not None and contact.opted_out:
                    row.status, row.lease_until, row.last_error = "suppressed", None, "opted out"
                    self.counters.add("suppressed")
                    continue
                row.status, row.attempts = "sending", row.attempts + 1
                row.lease_until = now + timedelta(seconds=self.policy.lease_s)
                claims.append(Claim(self._message(row, contact, now), row.attempts))
            return claims

    def deliver(self, claim: Claim) -> None:
        message = claim.message
        try:
            provider_id = self.senders[message.channel].send(message)
        except DeliveryError as exc:
            self._failed(claim, exc)
            return
        self._finish(claim, status="sent", provider_id=provider_id, error=None, retry_at=None)
        self.counters.add("sent")

    def _failed(self, claim: Claim, exc: DeliveryError) -> None:
        dead = exc.permanent or claim.attempts >= self.policy.max_attempts
        retry_at = None if dead else self.clock() + self.policy.delay(
            claim.attempts, exc.retry_after)
        log.warning("outbox %s %s: %s", claim.message.id, "dead" if dead else "retry", exc)
        self.counters.add("dead" if dead else "retried")
        self._finish(claim, status="dead" if dead else "pending", provider_id=None,
                     error=exc.reason[:2000], retry_at=retry_at)

    def _finish(self, claim: Claim, *, status: str, provider_id: str | None,
                error: str | None, retry_at: datetime | None) -> None:
        values: dict[str, Any] = {"status": status, "lease_until": None, "last_error": error}
        if status == "sent":
            values.update(sent_at=self.clock(), provider_id=provider_id)
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        with self.sessions.begin() as session:
            session.execute(update(OutboxMessage).where(
                OutboxMessage.id == claim.message.id, OutboxMessage.status == "sending",
                OutboxMessage.attempts == claim.attempts,
            ).values(**values))

    @staticmethod
    def _contacts(session: Session, rows: list[OutboxMessage]) -> dict[tuple[str, str], Contact]:
        addresses = {row.recipient for row in rows}
        if not addresses:
            return {}
        found = session.scalars(select(Contact).where(Contact.address_bidx.in_(addresses)))
        return {(c.channel, normalize_address(c.address)): c for c in found}

    def _message(self, row: OutboxMessage, contact: Contact | None,
                 now: datetime) -> OutboundMessage:
        image = row.payload.get("image_png_b64")
        last_inbound = contact.last_inbound_at if contact else None
        return OutboundMessage(
            id=row.id, channel=row.channel, recipient=row.recipient, text=row.payload["text"],
            language=row.language, image_png=base64.b64decode(image) if image else None,
            template=self.templates.get(row.template), template_params=row.payload["params"],
            in_session_window=last_inbound is not None
            and now - _aware(last_inbound) < SESSION_WINDOW,
            payload=row.payload,
        )


def _aware(ts: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they are stored in UTC.
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def set_opt_out(session: Session, *, channel: str, address: str, opted_out: bool,
                now: datetime) -> None:
    """Record a guest's choice; queued messages to them are suppressed when claimed."""
    contact = session.get(Contact, (channel, address))
    if contact is None:
        session.add(Contact(channel=channel, address=address, opted_out=opted_out,
                            updated_at=now))
    else:
        contact.opted_out, contact.updated_at = opted_out, now


def purge_sent(session: Session, *, older_than: datetime) -> int:
    """Forget delivered and suppressed messages past their keeping time; dead ones stay."""
    result = session.execute(delete(OutboxMessage).where(
        OutboxMessage.status.in_(("sent", "suppressed")), OutboxMessage.created_at < older_than))
    return int(getattr(result, "rowcount", 0) or 0)
