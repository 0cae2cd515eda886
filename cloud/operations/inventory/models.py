"""Store rooms, items, stock moves, suppliers and purchase orders (docs/operations.md#inventory)."""

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
)
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, UtcDateTime

MOVE_KINDS = ("received", "issued", "consumed", "wasted", "counted")


class Supplier(Base):
    __tablename__ = "ops_suppliers"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(64))
    lead_days: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("property_id", "code", name="uq_ops_suppliers_code"),
        CheckConstraint("lead_days >= 0", name="lead"),
    )


class StoreRoom(Base):
    __tablename__ = "ops_store_rooms"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("property_id", "code", name="uq_ops_store_rooms_code"),)


class Item(Base):
    """An item kept in one store room; ``on_hand`` never goes below zero (checked by the database)."""

    __tablename__ = "ops_items"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    store_room_id: Mapped[str] = mapped_column(ForeignKey("ops_store_rooms.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(16))
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    minimum: Mapped[int] = mapped_column(Integer)
    maximum: Mapped[int] = mapped_column(Integer)
    pack_size: Mapped[int] = mapped_column(Integer)
    supplier_id: Mapped[str | None] = mapped_column(ForeignKey("ops_suppliers.id"), nullable=True)
    pack_price_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    sale_price_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # minibar: charged per unit
    currency: Mapped[str] = mapped_column(String(3))

    __table_args__ = (
        UniqueConstraint("store_room_id", "sku", name="uq_ops_items_sku"),
        CheckConstraint("on_hand >= 0", name="on_hand"),
        CheckConstraint("minimum >= 0 AND minimum < maximum", name="reorder"),
        CheckConstraint("pack_size >= 1", name="pack"),
        CheckConstraint("pack_price_minor >= 0 AND sale_price_minor >= 0", name="prices"),
    )


class StockMove(Base):
    __tablename__ = "ops_stock_moves"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("ops_items.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    quantity: Mapped[int] = mapped_column(Integer)
    on_hand_after: Mapped[int] = mapped_column(Integer)
    reservation_id: Mapped[str | None] = mapped_column(ForeignKey("reservations.id"), nullable=True)
    place: Mapped[str] = mapped_column(String(63), default="")  # floor or room issued to
    order_id: Mapped[str | None] = mapped_column(ForeignKey("ops_purchase_orders.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint(f"kind IN {MOVE_KINDS!r}", name="kind"),
        CheckConstraint("quantity >= 0 AND on_hand_after >= 0", name="quantities"),
        Index("ix_ops_stock_moves_item_at", "item_id", "at"),
    )


class PurchaseOrder(Base):
    __tablename__ = "ops_purchase_orders"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    supplier_id: Mapped[str] = mapped_column(ForeignKey("ops_suppliers.id"))
    number: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12), default="sent")
    automatic: Mapped[bool] = mapped_column(Boolean, default=True)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    expected_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("property_id", "number", name="uq_ops_purchase_orders_number"),
        CheckConstraint("status IN ('sent', 'received', 'cancelled')", name="status"),
        CheckConstraint("total_minor >= 0", name="total"),
    )


class PurchaseOrderLine(Base):
    __tablename__ = "ops_purchase_order_lines"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("ops_purchase_orders.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(ForeignKey("ops_items.id"))
    packs: Mapped[int] = mapped_column(Integer)
    pack_size: Mapped[int] = mapped_column(Integer)
    pack_price_minor: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("packs > 0 AND pack_size > 0", name="packs"),)
