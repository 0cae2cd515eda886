"""Reservations, their nights, room allocations and per-type inventory: the sold calendar.

Two invariants live in the database. No room twice a night: on PostgreSQL an exclusion
constraint over ``room_allocations`` (range column first); on SQLite a primary key on
``room_nights(room_id, night)``, written in the same BEGIN IMMEDIATE transaction. No type
oversold: ``type_inventory`` holds one row per (room type, night) with CHECK sold <= capacity,
incremented by every reservation that holds the type, assigned to a room or not.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, UtcDateTime
from cloud.guests.sealed import BlindKey, NameWords, SealedJson, SealedText, mirror

STATUSES = ("booked", "checked_in", "checked_out", "cancelled", "no_show")
HOLDING = ("booked", "checked_in")  # statuses that hold inventory and rooms ahead
OCCUPYING = (*HOLDING, "checked_out")  # and those whose nights stay sold for the record


class Reservation(Base):
    __tablename__ = "reservations"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id"))
    status: Mapped[str] = mapped_column(String(16), default="booked")
    guest_id: Mapped[str | None] = mapped_column(ForeignKey("guests.id"), nullable=True)
    # personal data sealed under the guest registry's keys; searched through the blind indexes
    guest_name: Mapped[str] = mapped_column("guest_name_enc", SealedText("reservations.guest_name"))
    guest_email: Mapped[str | None] = mapped_column(
        "guest_email_enc", SealedText("reservations.guest_email"), nullable=True)
    guest_phone: Mapped[str | None] = mapped_column(
        "guest_phone_enc", SealedText("reservations.guest_phone"), nullable=True)
    # written, never read back: not loaded with the row (lists stay light)
    guest_name_words: Mapped[str | None] = mapped_column(
        NameWords(source="guest_name_enc"), nullable=True, deferred=True)
    guest_email_bidx: Mapped[str | None] = mapped_column(
        BlindKey("email", source="guest_email_enc"), nullable=True, deferred=True)
    guest_phone_bidx: Mapped[str | None] = mapped_column(
        BlindKey("phone", source="guest_phone_enc"), nullable=True, deferred=True)
    guest_language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    adults: Mapped[int] = mapped_column(Integer)
    children: Mapped[int] = mapped_column(Integer, default=0)
    room_type_id: Mapped[int] = mapped_column(ForeignKey("room_types.id"))
    inventory_type_id: Mapped[int] = mapped_column(ForeignKey("room_types.id"))
    rate_plan_id: Mapped[int] = mapped_column(ForeignKey("rate_plans.id"))
    block_id: Mapped[str | None] = mapped_column(ForeignKey("group_blocks.id"), nullable=True)
    arrival: Mapped[date] = mapped_column(Date)
    departure: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(Integer)
    deposit_required_minor: Mapped[int] = mapped_column(Integer)
    cancellation_fee_minor: Mapped[int] = mapped_column(Integer, default=0)
    late_checkout_fee_minor: Mapped[int] = mapped_column(Integer, default=0)
    checkout_due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # what staff note about the guest is personal too: sealed like the name (migration pii_0002)
    preferences: Mapped[dict[str, Any]] = mapped_column(
        "preferences_enc", SealedJson("reservations.preferences"), default=dict)
    notes: Mapped[str] = mapped_column("notes_enc", SealedText("reservations.notes"), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    checked_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("departure > arrival", name="stay_order"),
        CheckConstraint("adults >= 1 AND children >= 0", name="guests"),
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        CheckConstraint(
            "total_minor >= 0 AND deposit_required_minor BETWEEN 0 AND total_minor", name="money"
        ),
        Index("ix_reservations_property_arrival", "property_id", "arrival"),  # also by property alone
        Index("ix_reservations_property_departure", "property_id", "departure"),
        # only the rows that have one (see migration booking_speed_0002)
        Index("ix_reservations_guest_id", "guest_id", postgresql_where=text("guest_id IS NOT NULL"),
              sqlite_where=text("guest_id IS NOT NULL")),
        Index("ix_reservations_block_id", "block_id", postgresql_where=text("block_id IS NOT NULL"),
              sqlite_where=text("block_id IS NOT NULL")),
        Index("ix_reservations_email_bidx", "guest_email_bidx"),
        Index("ix_reservations_phone_bidx", "guest_phone_bidx"),
    )


mirror(Reservation.guest_name, "guest_name_words")
mirror(Reservation.guest_email, "guest_email_bidx")
mirror(Reservation.guest_phone, "guest_phone_bidx")


class ReservationNight(Base):
    """The price of each night as quoted when booked (billing reads these)."""

    __tablename__ = "reservation_nights"

    reservation_id: Mapped[str] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), primary_key=True
    )
    night: Mapped[date] = mapped_column(Date, primary_key=True)
    amount_minor: Mapped[int] = mapped_column(Integer)


class RoomAllocation(Base):
    """A room held for nights [start_night, end_night): by a stay, or out of order."""

    __tablename__ = "room_allocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"))
    reservation_id: Mapped[str | None] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="stay")
    start_night: Mapped[date] = mapped_column(Date)
    end_night: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        CheckConstraint("end_night > start_night", name="nights_order"),
        CheckConstraint("(kind = 'stay') = (reservation_id IS NOT NULL)", name="kind_matches"),
        CheckConstraint("kind IN ('stay', 'out_of_order')", name="kind"),
        # with end_night: a room's stay before a date without visiting the table (INCLUDE on PostgreSQL)
        Index("ix_room_allocations_room_start", "room_id", "start_night", postgresql_include=["end_night"]),
    )


class RoomNight(Base):
    """Written on SQLite only: one row per room and night, the primary key forbids selling it twice."""

    __tablename__ = "room_nights"

    room_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    night: Mapped[date] = mapped_column(Date, primary_key=True)
    allocation_id: Mapped[int] = mapped_column(
        ForeignKey("room_allocations.id", ondelete="CASCADE"), index=True
    )


class TypeInventory(Base):
    __tablename__ = "type_inventory"

    room_type_id: Mapped[int] = mapped_column(ForeignKey("room_types.id"), primary_key=True)
    night: Mapped[date] = mapped_column(Date, primary_key=True)
    capacity: Mapped[int] = mapped_column(Integer)
    sold: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        CheckConstraint("sold >= 0 AND capacity >= 0 AND sold <= capacity", name="not_oversold"),
    )


class StayCredential(Base):
    """A keycard issued for a stay; revoked at check-out or cancellation."""

    __tablename__ = "stay_credentials"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reservation_id: Mapped[str] = mapped_column(ForeignKey("reservations.id"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    valid_until: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    sequence: Mapped[int] = mapped_column(Integer)  # per room, rising: a newer card supersedes older ones
    # Several cards per stay (docs/card-format.md): companions and copies share the sequence.
    guest: Mapped[int] = mapped_column(Integer, default=1)
    starts_sequence: Mapped[bool] = mapped_column(Boolean, default=True)
    pending_card: Mapped[str | None] = mapped_column(Text, nullable=True)  # until on a tag
    encoded_uid: Mapped[str | None] = mapped_column(String(20), nullable=True)
    encoded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("guest BETWEEN 1 AND 255", name="guest_number"),
        Index(
            "uq_stay_credentials_sequence_start", "room_id", "sequence", unique=True,
            sqlite_where=text("starts_sequence = 1"), postgresql_where=text("starts_sequence"),
        ),
    )
