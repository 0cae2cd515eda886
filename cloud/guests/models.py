"""Guest tables. Personal data is only ever stored encrypted (``*_enc``) or as keyed hashes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, UtcDateTime


class Guest(Base):
    __tablename__ = "guests"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)  # ULID, referenced by reservations
    site: Mapped[str] = mapped_column(String(63), index=True)
    tier: Mapped[str] = mapped_column(String(16), default="normal")
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)  # en, es or zh; not secret
    frequent_since: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    stays_count: Mapped[int] = mapped_column(Integer, default=0)
    nights_count: Mapped[int] = mapped_column(Integer, default=0)
    name_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    email_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    phone_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    document_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    details_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    preferences_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    notes_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    name_bidx: Mapped[str | None] = mapped_column(String(40), nullable=True)
    email_bidx: Mapped[str | None] = mapped_column(String(40), nullable=True)
    phone_bidx: Mapped[str | None] = mapped_column(String(40), nullable=True)
    document_bidx: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    merged_into: Mapped[str | None] = mapped_column(ForeignKey("guests.id"), nullable=True)

    __table_args__ = (
        CheckConstraint("tier IN ('normal', 'frequent')", name="tier"),
        CheckConstraint("stays_count >= 0 AND nights_count >= 0", name="counts"),
        CheckConstraint("merged_into IS NULL OR merged_into <> id", name="merge_self"),
        Index("ix_guests_email_bidx", "site", "email_bidx"),
        Index("ix_guests_phone_bidx", "site", "phone_bidx"),
        Index("ix_guests_document_bidx", "site", "document_bidx"),
        Index("ix_guests_name_bidx", "site", "name_bidx"),
    )


class GuestNameToken(Base):
    """Keyed hashes of each word of a guest's name, so staff can search by any of them."""

    __tablename__ = "guest_name_tokens"

    guest_id: Mapped[str] = mapped_column(ForeignKey("guests.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class GuestStay(Base):
    """A completed stay, recorded at check-out: history, spend and the frequent-guest count."""

    __tablename__ = "guest_stays"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    guest_id: Mapped[str] = mapped_column(ForeignKey("guests.id"), index=True)
    site: Mapped[str] = mapped_column(String(63))
    reservation_id: Mapped[str | None] = mapped_column(String(26), nullable=True, unique=True)
    arrival: Mapped[date] = mapped_column(Date)
    departure: Mapped[date] = mapped_column(Date)
    nights: Mapped[int] = mapped_column(Integer)
    spend_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint("departure > arrival", name="dates"),
        CheckConstraint("nights > 0", name="nights"),
        CheckConstraint("spend_minor >= 0", name="spend"),
    )
