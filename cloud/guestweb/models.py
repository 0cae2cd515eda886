"""An online booking's hold (released unless paid in time) and the provider events already applied."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, UtcDateTime
from cloud.guests.sealed import SealedText

STATES = ("held", "paid", "released")


class GuestHold(Base):
    """A reservation made on the public pages: held until ``expires_at`` unless its payment settles."""

    __tablename__ = "guestweb_holds"

    reservation_id: Mapped[str] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(12), default="held")
    pay: Mapped[str] = mapped_column(String(8))  # "deposit" or "full"
    amount_minor: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    checkout_session: Mapped[str | None] = mapped_column(String(255), nullable=True, unique=True)
    checkout_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    checkout_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    releases: Mapped[bool] = mapped_column(default=True)  # False: a payment link the desk sent
    booked_online: Mapped[bool] = mapped_column(default=False)  # made on the booking engine (reports)

    __table_args__ = (
        CheckConstraint("state IN ('held', 'paid', 'released')", name="state"),
        CheckConstraint("pay IN ('deposit', 'full')", name="pay"),
        CheckConstraint("amount_minor >= 0", name="amount"),
        Index("ix_guestweb_holds_due", "state", "expires_at"),
    )


class ProviderEvent(Base):
    """A payment provider's event id, stored when applied: a replay is recognised and changes nothing."""

    __tablename__ = "guestweb_provider_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EmailTemplate(Base):
    """A hotel's own version of a guest email in one language (else the default text is sent)."""

    __tablename__ = "guestweb_email_templates"

    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"),
                                             primary_key=True)
    template: Mapped[str] = mapped_column(String(32), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class PreCheckIn(Base):
    """What the guest gave before arriving (the ID document itself is sealed in the guest registry)."""

    __tablename__ = "guestweb_precheckins"

    reservation_id: Mapped[str] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), primary_key=True)
    arrival_time: Mapped[str] = mapped_column(String(5))
    signed_name: Mapped[str] = mapped_column(  # the registration card, signed by typing
        "signed_name_enc", SealedText("guestweb_precheckins.signed_name"))
    document_until: Mapped[datetime] = mapped_column(UtcDateTime)  # the document is erased after
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    document_erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)  # by QR at the desk


class PhoneKey(Base):
    """Which of a stay's cards was handed to the guest's phone."""

    __tablename__ = "guestweb_phone_keys"

    credential_id: Mapped[str] = mapped_column(ForeignKey("stay_credentials.id", ondelete="CASCADE"),
                                               primary_key=True)
    reservation_id: Mapped[str] = mapped_column(ForeignKey("reservations.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RateCount(Base):
    """Requests one client address made for one action in one window, counted for every worker."""

    __tablename__ = "guestweb_rate_counts"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)  # action and address
    window: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # its start, in Unix seconds
    count: Mapped[int] = mapped_column(Integer)


EXTRA_UNITS = ("stay", "night", "night_person")


class BookingExtra(Base):
    """A service of the property's catalogue (``ops_service_types``) offered on the booking pages,
    and how it is counted: once, every night, or every night for every guest."""

    __tablename__ = "guestweb_booking_extras"

    service_type_id: Mapped[str] = mapped_column(
        ForeignKey("ops_service_types.id", ondelete="CASCADE"), primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"), index=True)
    per: Mapped[str] = mapped_column(String(12))

    __table_args__ = (CheckConstraint("per IN ('stay', 'night', 'night_person')", name="per"),)


class BookedExtra(Base):
    """An extra a guest chose when booking, as it was charged to the folio (reversed if the
    booking is released or cancelled from the guest pages)."""

    __tablename__ = "guestweb_booked_extras"

    reservation_id: Mapped[str] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    charge_kind: Mapped[str] = mapped_column(String(16))
    unit_minor: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    reversed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (CheckConstraint("unit_minor > 0 AND quantity > 0", name="positive"),)
