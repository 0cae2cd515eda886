"""A long stay's contract terms, its bills per cycle, meter readings and parcels
(docs/operations.md#long-stays).

The contract itself (``long_stay_contracts``: the reservation, the billing day, the recurring services)
belongs to the reservations; these tables add what billing by contract needs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, JsonType, UtcDateTime
from cloud.i18n.labels import N_

CYCLES = ("monthly", "weekly")
METERS = (N_("electricity"), N_("water"), N_("gas"))  # shown translated on the contract page


class ContractTerms(Base):
    __tablename__ = "ops_contract_terms"

    contract_id: Mapped[str] = mapped_column(
        ForeignKey("long_stay_contracts.id", ondelete="CASCADE"), primary_key=True
    )
    cycle: Mapped[str] = mapped_column(String(8))
    rate_minor: Mapped[int] = mapped_column(BigInteger)  # per month or per week
    deposit_minor: Mapped[int] = mapped_column(BigInteger)
    notice_days: Mapped[int] = mapped_column(Integer)
    auto_renew: Mapped[bool] = mapped_column(Boolean)
    utility_prices: Mapped[dict[str, int]] = mapped_column(JsonType)  # meter -> minor units per unit read
    service_prices: Mapped[dict[str, int]] = mapped_column(JsonType)  # service kind -> minor units per visit
    notice_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # when the end was announced
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # an end before the booked departure
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint(f"cycle IN {CYCLES!r}", name="cycle"),
        CheckConstraint("rate_minor >= 0 AND deposit_minor >= 0", name="amounts"),
        CheckConstraint("notice_days BETWEEN 0 AND 365", name="notice"),
    )


class ContractBill(Base):
    """One billing period, posted to the folio and invoiced once (unique per period)."""

    __tablename__ = "ops_contract_bills"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    contract_id: Mapped[str] = mapped_column(
        ForeignKey("long_stay_contracts.id", ondelete="CASCADE"), index=True
    )
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    rent_minor: Mapped[int] = mapped_column(BigInteger)  # before tax, after any proration
    utilities_minor: Mapped[int] = mapped_column(BigInteger)
    services_minor: Mapped[int] = mapped_column(BigInteger)
    gross_minor: Mapped[int] = mapped_column(BigInteger)  # what the invoice asks, taxes included
    currency: Mapped[str] = mapped_column(String(3))
    invoice_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("contract_id", "period_start", name="uq_ops_contract_bills_period"),)


class MeterReading(Base):
    __tablename__ = "ops_meter_readings"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    contract_id: Mapped[str] = mapped_column(
        ForeignKey("long_stay_contracts.id", ondelete="CASCADE"), index=True
    )
    meter: Mapped[str] = mapped_column(String(16))
    read_on: Mapped[date] = mapped_column(Date)
    reading: Mapped[int] = mapped_column(BigInteger)
    bill_id: Mapped[str | None] = mapped_column(ForeignKey("ops_contract_bills.id"), nullable=True)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("contract_id", "meter", "read_on", name="uq_ops_meter_readings_day"),
        CheckConstraint("reading >= 0", name="reading"),
    )


class Parcel(Base):
    """A parcel received for a long-stay guest, handed over against a signature."""

    __tablename__ = "ops_parcels"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    reservation_id: Mapped[str] = mapped_column(ForeignKey("reservations.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_by: Mapped[str] = mapped_column(String(100))
    handed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    handed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    signed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    signature_svg: Mapped[str | None] = mapped_column(Text, nullable=True)  # the drawn signature, as a path


ALERT_KINDS = ("renewal_failed",)


class ContractAlert(Base):
    """Something about a long stay the desk must act on (an automatic renewal that failed), shown on
    the long-stay pages until someone marks it done; raised once per stay, kind and date."""

    __tablename__ = "ops_contract_alerts"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    reservation_id: Mapped[str] = mapped_column(ForeignKey("reservations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    about: Mapped[date] = mapped_column(Date)  # the renewal's end it could not reach
    detail: Mapped[str] = mapped_column(String(300))  # why, as the refusal said it (English, for the log)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)

    __table_args__ = (
        UniqueConstraint("reservation_id", "kind", "about", name="uq_ops_contract_alerts_once"),
        CheckConstraint("kind IN ('renewal_failed')", name="kind"),
    )


class DepositSettlement(Base):
    """A long stay's deposit at its end: what was held, each deduction (posted to the folio), and
    what went back through the payment path; once per stay."""

    __tablename__ = "ops_deposit_settlements"

    reservation_id: Mapped[str] = mapped_column(ForeignKey("reservations.id"), primary_key=True)
    held_minor: Mapped[int] = mapped_column(BigInteger)
    deductions: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)  # [{"reason", "amount_minor"}]
    deducted_minor: Mapped[int] = mapped_column(BigInteger)
    refund_minor: Mapped[int] = mapped_column(BigInteger)
    refunds: Mapped[list[str]] = mapped_column(JsonType)  # the refund payments' ids
    currency: Mapped[str] = mapped_column(String(3))
    settled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    settled_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint(
            "held_minor >= 0 AND deducted_minor >= 0 AND refund_minor BETWEEN 0 AND held_minor",
            name="amounts",
        ),
    )
