"""The reports' own settings: how out-of-order rooms count, and what each rate plan sells.

Nothing here copies a figure: reports are computed from the desk's and billing's tables."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, UtcDateTime

OUT_OF_ORDER = ("available", "excluded")
USAGES = ("sale", "complimentary", "house_use")


class ReportSettings(Base):
    """A property's report settings (no row: the defaults, ``out_of_order = available``)."""

    __tablename__ = "reports_settings"

    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"),
                                             primary_key=True)
    out_of_order: Mapped[str] = mapped_column(String(12), default="available", server_default="available")

    __table_args__ = (CheckConstraint(f"out_of_order IN {OUT_OF_ORDER!r}", name="out_of_order"),)


class RatePlanUsage(Base):
    """What a rate plan's nights are for the reports (no row: ``sale``, no segment)."""

    __tablename__ = "reports_rate_plans"

    rate_plan_id: Mapped[int] = mapped_column(ForeignKey("rate_plans.id", ondelete="CASCADE"),
                                              primary_key=True)
    usage: Mapped[str] = mapped_column(String(16), default="sale", server_default="sale")
    segment: Mapped[str] = mapped_column(String(32), default="", server_default="")

    __table_args__ = (CheckConstraint(f"usage IN {USAGES!r}", name="usage"),)


CATEGORIES = ("payroll", "utilities", "supplies", "maintenance", "commissions", "marketing", "other")


class Expense(Base):
    """An expense entry or a supplier's invoice, dated to the day it belongs to (docs/reports.md#expenses)."""

    __tablename__ = "reports_expenses"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # "entry" or "supplier_invoice"
    category: Mapped[str] = mapped_column(String(16))
    incurred_on: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    supplier: Mapped[str] = mapped_column(String(200), default="", server_default="")
    reference: Mapped[str] = mapped_column(String(64), default="", server_default="")
    description: Mapped[str] = mapped_column(String(400), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("kind IN ('entry', 'supplier_invoice')", name="kind"),
        CheckConstraint(f"category IN {CATEGORIES!r}", name="category"),
        CheckConstraint("amount_minor > 0", name="positive"),
        Index("ix_reports_expenses_property_day", "property_id", "incurred_on"),
    )


class RecurringExpense(Base):
    """The same amount every month from one month to another (rent, a contract, payroll)."""

    __tablename__ = "reports_recurring_expenses"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    first_month: Mapped[date] = mapped_column(Date)  # the first day of a month
    last_month: Mapped[date | None] = mapped_column(Date, nullable=True)  # included; None: still running
    description: Mapped[str] = mapped_column(String(400), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint(f"category IN {CATEGORIES!r}", name="category"),
        CheckConstraint("amount_minor > 0", name="positive"),
        CheckConstraint("last_month IS NULL OR last_month >= first_month", name="months_order"),
    )


class NightSum(Base):
    """Reservation nights of one property, night, status, rate plan and price-0-or-not, summed by
    PostgreSQL's triggers in the writing transaction (migration reports_0003), as ``ChargeDay``."""

    __tablename__ = "reports_night_sums"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    property_id: Mapped[int] = mapped_column(Integer)
    night: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    rate_plan_id: Mapped[int] = mapped_column(Integer)
    zero: Mapped[bool] = mapped_column(Boolean)
    folded: Mapped[bool] = mapped_column(Boolean)
    nights: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_reports_night_sums_property_night", "property_id", "night"),
        Index("uq_reports_night_sums_folded", "property_id", "night", "status", "rate_plan_id", "zero",
              unique=True, postgresql_where=text("folded"), sqlite_where=text("folded")),
    )


class ChargeDay(Base):
    """A sum of folio lines of one site, kind and day, written by PostgreSQL's triggers in the
    posting transaction (migration reports_0003); ``folded`` rows hold what was folded so far."""

    __tablename__ = "reports_charge_days"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    site: Mapped[str] = mapped_column(String(63))
    kind: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)  # the night of a room night; else the local posting date
    zone: Mapped[str] = mapped_column(String(64))  # the zone that local date is in ("" for nights)
    folded: Mapped[bool] = mapped_column(Boolean)
    net_minor: Mapped[int] = mapped_column(BigInteger)
    gross_minor: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_reports_charge_days_site_day", "site", "day"),
        Index("uq_reports_charge_days_folded", "site", "kind", "day", "zone", unique=True,
              postgresql_where=text("folded"), sqlite_where=text("folded")),
    )


class PaymentDay(Base):
    """A sum of settled payments (or refunds) of one site and local day, as ``ChargeDay``."""

    __tablename__ = "reports_payment_days"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    site: Mapped[str] = mapped_column(String(63))
    direction: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    zone: Mapped[str] = mapped_column(String(64))
    folded: Mapped[bool] = mapped_column(Boolean)
    amount_minor: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_reports_payment_days_site_day", "site", "day"),
        Index("uq_reports_payment_days_folded", "site", "direction", "day", "zone", unique=True,
              postgresql_where=text("folded"), sqlite_where=text("folded")),
    )


class DimSum(Base):
    """Reservation nights and their room-night lines of one property and night, split by one report
    dimension (``dim``: none, room_type, channel, segment, tier; its ``value``) and by status, rate
    plan and price-0-or-not, summed by PostgreSQL's triggers in the writing transaction (migration
    reports_0006); appended and folded as ``NightSum``. ``segment`` holds the segment a plan without
    one falls back to (group or transient)."""

    __tablename__ = "reports_dim_sums"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    property_id: Mapped[int] = mapped_column(Integer)
    night: Mapped[date] = mapped_column(Date)
    dim: Mapped[str] = mapped_column(String(12))
    value: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    rate_plan_id: Mapped[int] = mapped_column(Integer)
    zero: Mapped[bool] = mapped_column(Boolean)
    folded: Mapped[bool] = mapped_column(Boolean)
    nights: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    room_lines: Mapped[int] = mapped_column(BigInteger)
    room_net: Mapped[int] = mapped_column(BigInteger)
    room_gross: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_reports_dim_sums_property_dim_night", "property_id", "dim", "night"),
        Index("uq_reports_dim_sums_folded", "property_id", "night", "dim", "value", "status", "rate_plan_id",
              "zero", unique=True, postgresql_where=text("folded"), sqlite_where=text("folded")),
    )


class DimMark(Base):
    """What one reservation's night counts for in ``DimSum`` (its values for every dimension), as last
    summed: the triggers subtract it when the reservation changes (migration reports_0006)."""

    __tablename__ = "reports_dim_marks"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    reservation_id: Mapped[str] = mapped_column(String(26), index=True)
    property_id: Mapped[int] = mapped_column(Integer)
    night: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    rate_plan_id: Mapped[int] = mapped_column(Integer)
    zero: Mapped[bool] = mapped_column(Boolean)
    room_type_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(32))
    grouped: Mapped[bool] = mapped_column(Boolean)
    tier: Mapped[str] = mapped_column(String(16))
    nights: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    room_lines: Mapped[int] = mapped_column(BigInteger)
    room_net: Mapped[int] = mapped_column(BigInteger)
    room_gross: Mapped[int] = mapped_column(BigInteger)


class CommissionRate(Base):
    """A channel's commission rate from a date on (basis points of the room revenue it sold); a
    reservation pays the rate in force on the local date it was booked, the channel's registry
    rate (``channels.commission_bp``) before its first dated change (docs/reports.md#commissions)."""

    __tablename__ = "reports_commission_rates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    effective_from: Mapped[date] = mapped_column(Date)
    rate_bp: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("channel_id", "effective_from", name="uq_reports_commission_rates_channel_from"),
        CheckConstraint("rate_bp BETWEEN 0 AND 10000", name="rate_range"),
    )
