"""Desk stations (a card writer at the front desk) and the encode jobs queued for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, UtcDateTime

STATES = ("waiting", "claimed", "encoded", "failed", "expired", "cancelled")


class DeskStation(Base):
    """A desk agent seen by the cloud: its property, its name, when it last asked for work."""

    __tablename__ = "desk_stations"

    site: Mapped[str] = mapped_column(String(63), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_user: Mapped[str] = mapped_column(String(64))


class EncodeJob(Base):
    """Write one card to a tag at one station; the card bytes are read from the credential."""

    __tablename__ = "encode_jobs"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    site: Mapped[str] = mapped_column(String(63))
    station: Mapped[str] = mapped_column(String(40))
    credential_id: Mapped[str] = mapped_column(ForeignKey("stay_credentials.id"))
    reservation_id: Mapped[str] = mapped_column(ForeignKey("reservations.id"))
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    pickup_by: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    result_by: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    uid: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    detail: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (
        CheckConstraint(f"state IN {STATES!r}", name="state"),
        Index("ix_encode_jobs_station", "site", "station", "state", "created_at"),
        Index("ix_encode_jobs_reservation", "reservation_id", "created_at"),
    )
