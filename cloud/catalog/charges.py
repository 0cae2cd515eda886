"""Taxes, tax categories and the service items a desk sells: what a property charges besides rooms."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, JsonType


class TaxCategory(Base):
    """A group of charge kinds taxed alike (lodging, food, services)."""

    __tablename__ = "tax_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    charge_kinds: Mapped[list[str]] = mapped_column(JsonType, default=list)  # billing's ChargeKind values

    __table_args__ = (UniqueConstraint("property_id", "code"),)


class Tax(Base):
    """One tax rate of a property, in parts per million (16% = 160000), over some categories."""

    __tablename__ = "taxes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    ppm: Mapped[int] = mapped_column(Integer)
    categories: Mapped[list[str]] = mapped_column(JsonType, default=list)  # category codes; empty: all

    __table_args__ = (
        UniqueConstraint("property_id", "code"),
        CheckConstraint("ppm BETWEEN 0 AND 1000000", name="ppm_range"),
    )


class ServiceItem(Base):
    """Something the desk sells by the unit (breakfast, parking, laundry), taxed by its category."""

    __tablename__ = "service_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    names: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)  # language -> name
    price_minor: Mapped[int] = mapped_column(Integer)
    tax_category_id: Mapped[int] = mapped_column(ForeignKey("tax_categories.id"))
    charge_kind: Mapped[str] = mapped_column(String(32))  # the folio line's kind

    __table_args__ = (
        UniqueConstraint("property_id", "code"),
        CheckConstraint("price_minor >= 0", name="price_nonneg"),
    )
