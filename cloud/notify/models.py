"""The durable notification outbox and what we know of each recipient (opt-out, last message)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base
from cloud.guests.sealed import BlindKey, SealedJson, SealedText, mirror

TS = DateTime(timezone=True)
STATUSES = ("pending", "sending", "sent", "dead", "suppressed")


class OutboxMessage(Base):
    """One message to send. ``dedupe_key`` makes enqueueing idempotent; the row id is the
    idempotency key handed to providers that accept one."""

    __tablename__ = "notify_outbox"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    # a guest's phone or e-mail and what the message says: sealed; found again by the address's hash
    recipient: Mapped[str] = mapped_column("recipient_enc", SealedText("notify_outbox.recipient"))
    recipient_bidx: Mapped[str | None] = mapped_column(
        BlindKey("address", source="recipient_enc"), nullable=True, index=True, deferred=True)
    template: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    payload: Mapped[dict[str, Any]] = mapped_column("payload_enc", SealedJson("notify_outbox.payload"))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(TS)
    lease_until: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    sent_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    provider_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    site: Mapped[str | None] = mapped_column(String(63), nullable=True)  # whose staff see it fail

    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'dead', 'suppressed')", name="status"
        ),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_notify_outbox_due", "status", "next_attempt_at"),
        Index("ix_notify_outbox_failed", "status", "site"),
    )


class Contact(Base):
    """A recipient on a channel: opted out or not, and when they last wrote to us (WhatsApp's
    24-hour customer-service window)."""

    __tablename__ = "notify_contacts"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    # found by the address's blind index (e-mail folded, else its digits); the address sealed
    address_bidx: Mapped[str] = mapped_column(
        BlindKey("address", source="address_enc"), primary_key=True)
    address: Mapped[str] = mapped_column("address_enc", SealedText("notify_contacts.address"))
    opted_out: Mapped[bool] = mapped_column(default=False)
    last_inbound_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(TS)


mirror(OutboxMessage.recipient, "recipient_bidx")
mirror(Contact.address, "address_bidx")
