"""Service types and guest service requests (docs/operations.md#service-requests)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, JsonType, UtcDateTime
from cloud.guests.sealed import SealedText
from cloud.operations.requests.lifecycle import DEPARTMENTS, State

STATES = tuple(s.value for s in State)
SOURCES = ("desk", "guest", "message")


class ServiceType(Base):
    """What a guest may ask for: its department, price (0: free) and promised minutes."""

    __tablename__ = "ops_service_types"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(16))
    names: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)  # language -> name
    price_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    charge_kind: Mapped[str] = mapped_column(String(16))  # a billing ChargeKind
    promise_minutes: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        UniqueConstraint("property_id", "code", name="uq_ops_service_types_code"),
        CheckConstraint(f"department IN {DEPARTMENTS!r}", name="department"),
        CheckConstraint("price_minor >= 0", name="price"),
        CheckConstraint("promise_minutes > 0", name="promise"),
    )


class ServiceRequest(Base):
    """One guest's request, from new to done or cancelled."""

    __tablename__ = "ops_service_requests"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    type_id: Mapped[str] = mapped_column(ForeignKey("ops_service_types.id"))
    department: Mapped[str] = mapped_column(String(16))
    reservation_id: Mapped[str | None] = mapped_column(ForeignKey("reservations.id"), nullable=True)
    room: Mapped[str] = mapped_column(String(63), default="")
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str] = mapped_column("note_enc", SealedText("ops_service_requests.note"), default="")
    source: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(12), default=State.NEW.value)
    assignee: Mapped[str | None] = mapped_column(String(100), nullable=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    charged_minor: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (
        CheckConstraint(f"state IN {STATES!r}", name="state"),
        CheckConstraint(f"source IN {SOURCES!r}", name="source"),
        CheckConstraint("quantity BETWEEN 1 AND 99", name="quantity"),
        Index("ix_ops_service_requests_board", "property_id", "department", "state"),
    )


class ChatLink(Base):
    """A guest's chat (Telegram) tied to their in-house stay once they shared their own phone number."""

    __tablename__ = "ops_chat_links"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    reservation_id: Mapped[str] = mapped_column(ForeignKey("reservations.id"))
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime)
