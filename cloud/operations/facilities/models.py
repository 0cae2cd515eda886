"""Bookable facilities and their bookings (docs/operations.md#facilities)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, JsonType, UtcDateTime

AREAS = ("pool", "gym", "spa", "lounge", "business_centre")


class Facility(Base):
    """A pool, gym, treatment room or meeting room: its door's area, hours, capacity, price."""

    __tablename__ = "ops_facilities"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    names: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    area: Mapped[str] = mapped_column(String(16))  # the keycard area bit of its door
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)
    capacity: Mapped[int] = mapped_column(Integer)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    price_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # per guest and slot
    currency: Mapped[str] = mapped_column(String(3))
    charge_kind: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    bookings_version: Mapped[int] = mapped_column(Integer, default=0)  # bumped first: bookings serialise

    __table_args__ = (
        UniqueConstraint("property_id", "code", name="uq_ops_facilities_code"),
        CheckConstraint(f"area IN {AREAS!r}", name="area"),
        CheckConstraint("opens < closes", name="hours"),
        CheckConstraint("capacity > 0", name="capacity"),
        CheckConstraint("slot_minutes > 0", name="slot"),
        CheckConstraint("price_minor >= 0", name="price"),
    )


class FacilityBooking(Base):
    """A stay's guests in a facility for ``[start_at, end_at)``, with the door pass signed for it."""

    __tablename__ = "ops_facility_bookings"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    facility_id: Mapped[str] = mapped_column(ForeignKey("ops_facilities.id", ondelete="CASCADE"))
    reservation_id: Mapped[str] = mapped_column(ForeignKey("reservations.id"))
    day: Mapped[date] = mapped_column(Date)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    guests: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="booked")
    source: Mapped[str] = mapped_column(String(8))
    credential_id: Mapped[str] = mapped_column(String(16))
    card: Mapped[str] = mapped_column(String(200))  # base64url of the signed pass
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("start_at < end_at", name="order"),
        CheckConstraint("guests > 0", name="guests"),
        CheckConstraint("status IN ('booked', 'cancelled')", name="status"),
        CheckConstraint("source IN ('desk', 'guest')", name="source"),
        Index("ix_ops_facility_bookings_slot", "facility_id", "day", "status"),
    )
