"""Durable commands to gateways: stored first, published until the gateway acknowledges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, JsonType


class Command(Base):
    __tablename__ = "commands"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site: Mapped[str] = mapped_column(String(63))
    floor: Mapped[str] = mapped_column(String(63))
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    acked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ack_ok: Mapped[bool | None] = mapped_column(nullable=True)
    ack_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_commands_pending", "acked_at", "site", "floor"),)
