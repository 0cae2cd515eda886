"""Staff cards and punches at time clocks (docs/operations.md#staff-attendance)."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Boolean, Index, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, UtcDateTime


class StaffCard(Base):
    """A signed staff card (kind staff): whose it is, its areas, and when it was revoked."""

    __tablename__ = "ops_staff_cards"

    credential_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    site: Mapped[str] = mapped_column(String(63))
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    areas: Mapped[int] = mapped_column(Integer)
    shift_start: Mapped[time] = mapped_column(Time)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    valid_until: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    card: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_ops_staff_cards_site_user", "site", "username"),)


class StaffPunch(Base):
    """A tap at a time clock as the gateway reported it; only accepted ones count as hours."""

    __tablename__ = "ops_staff_punches"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the event's id
    site: Mapped[str] = mapped_column(String(63))
    clock: Mapped[str] = mapped_column(String(63))
    credential_id: Mapped[str] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    accepted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_ops_staff_punches_site_at", "site", "at"),)
