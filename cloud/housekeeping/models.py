"""A housekeeping state asked of a room's gateway and not yet seen in its snapshot."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, JsonType


class HousekeepingRequest(Base):
    """The latest state staff asked for, per room; pending until the gateway's snapshot is newer."""

    __tablename__ = "housekeeping_requests"

    site: Mapped[str] = mapped_column(String(63), primary_key=True)
    floor: Mapped[str] = mapped_column(String(63), primary_key=True)
    room: Mapped[str] = mapped_column(String(63), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    command_id: Mapped[str] = mapped_column(String(64))


class HousekeepingTask(Base):
    """One room's cleaning, inspection or turndown on a day, its housekeeper and the minutes it took."""

    __tablename__ = "housekeeping_tasks"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    site: Mapped[str] = mapped_column(String(63))
    floor: Mapped[str] = mapped_column(String(63))
    room: Mapped[str] = mapped_column(String(63))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(8))  # "daily" or "vacated"
    state: Mapped[str] = mapped_column(String(12), default="open")
    assignee: Mapped[str | None] = mapped_column(String(100), nullable=True)
    expected_minutes: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        UniqueConstraint("site", "room", "day", "kind", name="uq_housekeeping_tasks_room_day_kind"),
        CheckConstraint("kind IN ('departure', 'stayover', 'inspection', 'turndown')", name="kind"),
        CheckConstraint("state IN ('open', 'started', 'done')", name="state"),
        CheckConstraint("minutes IS NULL OR minutes > 0", name="minutes"),
        Index("ix_housekeeping_tasks_site_day", "site", "day"),
    )


class HousekeepingRoster(Base):
    """Which floors a housekeeper covers (the assignment of tasks by floor)."""

    __tablename__ = "housekeeping_roster"

    site: Mapped[str] = mapped_column(String(63), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    floors: Mapped[list[str]] = mapped_column(JsonType, default=list)
