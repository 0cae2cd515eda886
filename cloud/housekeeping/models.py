"""A housekeeping state asked of a room's gateway and not yet seen in its snapshot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base


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
