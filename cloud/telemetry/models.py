"""Telemetry tables: the latest readings per room, alerts, and the maintenance tasks they open."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, JsonType

TS = DateTime(timezone=True)


class RoomTelemetryLatest(Base):
    """Per room (or ``gateway``): each reading's value, when it was taken, since when it holds
    that value, and since when it has been rising (numbers only)."""

    __tablename__ = "room_telemetry_latest"

    site: Mapped[str] = mapped_column(String(63), primary_key=True)
    floor: Mapped[str] = mapped_column(String(63), primary_key=True)
    room: Mapped[str] = mapped_column(String(63), primary_key=True)
    readings: Mapped[dict[str, Any]] = mapped_column(JsonType)
    updated_at: Mapped[datetime] = mapped_column(TS)


class Alert(Base):
    """One occurrence of a condition: opened once, seen again while it lasts, closed when clear.

    The partial unique index lets at most one alert of a kind be open per subject, so two
    evaluators racing cannot open it twice.
    """

    __tablename__ = "telemetry_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    site: Mapped[str] = mapped_column(String(63))
    floor: Mapped[str] = mapped_column(String(63))
    subject: Mapped[str] = mapped_column(String(63))
    detail: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime] = mapped_column(TS)
    last_seen_at: Mapped[datetime] = mapped_column(TS)
    seen: Mapped[int] = mapped_column(Integer, default=1)
    closed_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)

    __table_args__ = (
        CheckConstraint("closed_at IS NULL OR closed_at >= opened_at", name="closed_after_open"),
        CheckConstraint("seen >= 1", name="seen_positive"),
        Index("uq_telemetry_alerts_open", "kind", "site", "floor", "subject", unique=True,
              postgresql_where=text("closed_at IS NULL"), sqlite_where=text("closed_at IS NULL")),
        Index("ix_telemetry_alerts_opened", "opened_at"),
    )


class MaintenanceTask(Base):
    """Work for maintenance, opened by an alert. Cleared automatically if the alert clears
    before anyone took it; staff mark it done otherwise."""

    __tablename__ = "maintenance_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("telemetry_alerts.id"), unique=True)
    site: Mapped[str] = mapped_column(String(63))
    floor: Mapped[str] = mapped_column(String(63))
    room: Mapped[str] = mapped_column(String(63))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(TS)
    closed_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)

    __table_args__ = (
        CheckConstraint("status IN ('open', 'in_progress', 'done', 'cleared')", name="status"),
        CheckConstraint("(status IN ('done', 'cleared')) = (closed_at IS NOT NULL)",
                        name="closed_when_finished"),
        Index("ix_maintenance_tasks_status", "status", "site", "floor"),
    )
