"""Marketing tables: consent per guest profile, segments, campaigns and each message sent.

No personal data: guests are named by their registry id; addresses are read from the registry
only when a message is queued.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, JsonType, UtcDateTime


class Consent(Base):
    """What a guest agreed to receive; an unsubscribe clears both at once."""

    __tablename__ = "marketing_consents"

    guest_id: Mapped[str] = mapped_column(ForeignKey("guests.id"), primary_key=True)
    site: Mapped[str] = mapped_column(String(63), index=True)
    email: Mapped[bool] = mapped_column(Boolean, default=False)
    whatsapp: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Segment(Base):
    __tablename__ = "marketing_segments"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    chain: Mapped[str] = mapped_column(String(63), index=True)
    name: Mapped[str] = mapped_column(String(100))
    rules: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Campaign(Base):
    __tablename__ = "marketing_campaigns"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    segment_id: Mapped[str] = mapped_column(ForeignKey("marketing_segments.id"), index=True)
    chain: Mapped[str] = mapped_column(String(63), index=True)
    name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    texts: Mapped[dict[str, Any]] = mapped_column(JsonType)  # language -> subject and body
    whatsapp_template: Mapped[str] = mapped_column(String(64), default="")
    offer_code: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("channel IN ('email', 'whatsapp')", name="channel"),
        CheckConstraint("status IN ('draft', 'sent')", name="status"),
    )


class Send(Base):
    """One guest's message of a campaign, and what came of it (opened, booked, revenue)."""

    __tablename__ = "marketing_sends"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("marketing_campaigns.id"))
    guest_id: Mapped[str] = mapped_column(ForeignKey("guests.id"), index=True)
    site: Mapped[str] = mapped_column(String(63))
    language: Mapped[str] = mapped_column(String(8))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revenue_minor: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (Index("uq_marketing_sends_campaign_guest", "campaign_id", "guest_id", unique=True),)
