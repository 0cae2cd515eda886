"""Billing tables: folios, charges, payments, invoice series and invoices, idempotency keys.

A stay's folio refers to its reservation (foreign key; one stay folio per reservation).
Amounts are integer minor units next to a currency column; the database checks the signs.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, JsonType
from cloud.guests.sealed import SealedJson, SealedText

TS = DateTime(timezone=True)


class Folio(Base):
    __tablename__ = "billing_folios"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    site: Mapped[str] = mapped_column(String(63))
    reservation_id: Mapped[str | None] = mapped_column(
        ForeignKey("reservations.id", name="fk_billing_folios_reservation"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # "stay" or "master" (a group's)
    master_folio_id: Mapped[str | None] = mapped_column(
        ForeignKey("billing_folios.id"), nullable=True
    )
    routed_kinds: Mapped[list[str]] = mapped_column(JsonType, default=list)
    currency: Mapped[str] = mapped_column(String(3))
    guest_name: Mapped[str] = mapped_column("guest_name_enc", SealedText("billing_folios.guest_name"))
    guest_language: Mapped[str] = mapped_column(String(8))
    guest_phone: Mapped[str | None] = mapped_column(
        "guest_phone_enc", SealedText("billing_folios.guest_phone"), nullable=True)
    company_name: Mapped[str | None] = mapped_column(
        "company_name_enc", SealedText("billing_folios.company_name"), nullable=True)
    company_tax_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    arrival_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    checkout_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    departed_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    status: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[datetime] = mapped_column(TS)

    __table_args__ = (
        CheckConstraint("kind IN ('stay', 'master')", name="kind"),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint("kind = 'stay' OR master_folio_id IS NULL", name="master_is_top"),
        Index("uq_billing_folios_stay_reservation", "reservation_id", unique=True,
              postgresql_where=text("kind = 'stay'"), sqlite_where=text("kind = 'stay'")),
    )


class Charge(Base):
    __tablename__ = "billing_charges"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    folio_id: Mapped[str] = mapped_column(ForeignKey("billing_folios.id"), index=True)
    origin_folio_id: Mapped[str] = mapped_column(ForeignKey("billing_folios.id"))
    payer: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))
    # sealed: staff write who the dinner was for; the only column of a posted charge that may be
    # rewritten (a key rotation, an erasure), the guard trigger holds the rest
    description: Mapped[str] = mapped_column("description_enc", SealedText("billing_charges.description"))
    discount: Mapped[bool] = mapped_column(default=False)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    net_minor: Mapped[int] = mapped_column(BigInteger)
    tax_minor: Mapped[int] = mapped_column(BigInteger)
    gross_minor: Mapped[int] = mapped_column(BigInteger)
    taxes: Mapped[dict[str, int]] = mapped_column(JsonType)
    night: Mapped[date | None] = mapped_column(Date, nullable=True)
    invoice_id: Mapped[str | None] = mapped_column(
        ForeignKey("billing_invoices.id"), nullable=True, index=True
    )
    posted_at: Mapped[datetime] = mapped_column(TS)

    __table_args__ = (
        CheckConstraint("payer IN ('guest', 'company')", name="payer"),
        CheckConstraint("quantity > 0 AND unit_minor > 0", name="positive_units"),
        CheckConstraint("net_minor + tax_minor = gross_minor", name="sums"),
    )


class Payment(Base):
    __tablename__ = "billing_payments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    folio_id: Mapped[str] = mapped_column(ForeignKey("billing_folios.id"), index=True)
    payer: Mapped[str] = mapped_column(String(8))
    direction: Mapped[str] = mapped_column(String(8))  # "payment" or "refund"
    method: Mapped[str] = mapped_column(String(8))
    stage: Mapped[str] = mapped_column(String(12))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12))
    provider: Mapped[str | None] = mapped_column(String(16), nullable=True)
    provider_ref: Mapped[str | None] = mapped_column(String(255), nullable=True, unique=True)
    refund_of: Mapped[str | None] = mapped_column(ForeignKey("billing_payments.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    settled_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)

    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="positive"),
        CheckConstraint("direction IN ('payment', 'refund')", name="direction"),
        CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"),
        CheckConstraint("method IN ('cash', 'card', 'qr')", name="method"),
        CheckConstraint("(direction = 'refund') = (refund_of IS NOT NULL)", name="refund_link"),
    )


class InvoiceSeries(Base):
    """One counter row per series, bumped in the invoice's own transaction: no gaps."""

    __tablename__ = "billing_invoice_series"

    series: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_number: Mapped[int] = mapped_column(BigInteger, default=0)


class Invoice(Base):
    """An issued invoice or credit note; immutable (a trigger refuses UPDATE and DELETE)."""

    __tablename__ = "billing_invoices"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    series: Mapped[str] = mapped_column(ForeignKey("billing_invoice_series.series"))
    number: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(12))  # "invoice" or "credit_note"
    corrects_id: Mapped[str | None] = mapped_column(
        ForeignKey("billing_invoices.id"), nullable=True, unique=True
    )
    folio_id: Mapped[str] = mapped_column(ForeignKey("billing_folios.id"), index=True)
    payer: Mapped[str] = mapped_column(String(8))
    # the buyer's legal name and tax id, kept for the books (erasure leaves them), sealed at rest
    bill_to: Mapped[dict[str, Any]] = mapped_column("bill_to_enc", SealedJson("billing_invoices.bill_to"))
    language: Mapped[str] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(String(3))
    net_minor: Mapped[int] = mapped_column(BigInteger)
    tax_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    taxes: Mapped[dict[str, int]] = mapped_column(JsonType)
    issued_at: Mapped[datetime] = mapped_column(TS)

    __table_args__ = (
        UniqueConstraint("series", "number", name="uq_billing_invoices_series_number"),
        CheckConstraint("number > 0", name="number"),
        CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind"),
        CheckConstraint("(kind = 'credit_note') = (corrects_id IS NOT NULL)", name="correction"),
        CheckConstraint("net_minor + tax_minor = total_minor", name="sums"),
    )


class BlockFolio(Base):
    """A group block's master folio, and which kinds of its stays' charges the company pays."""

    __tablename__ = "billing_block_folios"

    block_id: Mapped[str] = mapped_column(ForeignKey("group_blocks.id"), primary_key=True)
    folio_id: Mapped[str] = mapped_column(ForeignKey("billing_folios.id"), unique=True)
    company_pays: Mapped[list[str]] = mapped_column(JsonType, default=list)


class NodeSeries(Base):
    """An invoice series reserved for one property node: only the node numbers it (offline),
    the cloud records those numbers in order and never takes one itself."""

    __tablename__ = "billing_node_series"

    series: Mapped[str] = mapped_column(
        ForeignKey("billing_invoice_series.series"), primary_key=True
    )
    site: Mapped[str] = mapped_column(String(63))
    node: Mapped[str] = mapped_column(String(63))
    reserved_at: Mapped[datetime] = mapped_column(TS)

    __table_args__ = (UniqueConstraint("site", "node", name="uq_billing_node_series_site_node"),)
