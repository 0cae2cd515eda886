"""Property, floors, rooms, room types, rate plans, restrictions and card areas: what a hotel sells."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, JsonType

MEALS = ("none", "breakfast", "half_board", "full_board", "all_inclusive")
# the keycard's area bits (mqtt.keycard.Area) by name, and lift floors
AREA_KINDS = ("lift_floor", "pool", "gym", "spa", "parking", "entrance", "lounge", "business_centre")
LANGUAGES = ("en", "es", "zh")


class Property(Base):
    __tablename__ = "properties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)  # the MQTT site
    number: Mapped[int] = mapped_column(Integer)  # the site number written on keycards
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    checkin_from: Mapped[time] = mapped_column(Time)
    checkin_until: Mapped[time] = mapped_column(Time)
    checkout_at: Mapped[time] = mapped_column(Time)
    late_checkout_hourly_minor: Mapped[int] = mapped_column(Integer, default=0)
    latest_checkout_at: Mapped[time] = mapped_column(Time)
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")  # guests' default
    chain: Mapped[str] = mapped_column(String(63), default="", server_default="")
    address: Mapped[str] = mapped_column(String(400), default="", server_default="")
    country: Mapped[str] = mapped_column(String(2), default="", server_default="")  # ISO 3166 alpha-2
    legal_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    tax_ids: Mapped[list[str]] = mapped_column(JsonType, default=list)  # printed on invoices
    invoice_series: Mapped[str] = mapped_column(String(32), default="", server_default="")  # "": settings'
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        CheckConstraint("late_checkout_hourly_minor >= 0", name="late_fee_nonneg"),
        CheckConstraint("number BETWEEN 1 AND 65535", name="number_range"),
        UniqueConstraint("number", name="uq_properties_number"),
    )


class Floor(Base):
    __tablename__ = "floors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(63))  # the MQTT floor
    level: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")

    __table_args__ = (UniqueConstraint("property_id", "slug"),)


class RoomType(Base):
    __tablename__ = "room_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    max_guests: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int] = mapped_column(Integer, default=0)  # higher is better, for upgrades
    names: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)  # language -> name
    descriptions: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)  # language -> text
    beds: Mapped[str] = mapped_column(String(100), default="", server_default="")  # "1 king", "2 twin"
    features: Mapped[list[str]] = mapped_column(JsonType, default=list)
    photos: Mapped[list[str]] = mapped_column(JsonType, default=list)  # URLs

    __table_args__ = (
        UniqueConstraint("property_id", "code"),
        CheckConstraint("max_guests >= 1", name="max_guests_positive"),
    )


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    floor_id: Mapped[int] = mapped_column(ForeignKey("floors.id"))
    room_type_id: Mapped[int] = mapped_column(ForeignKey("room_types.id"), index=True)
    slug: Mapped[str] = mapped_column(String(63))  # the MQTT room
    number: Mapped[int] = mapped_column(Integer)  # the room number written on keycards
    view: Mapped[str | None] = mapped_column(String(32), nullable=True)
    accessible: Mapped[bool] = mapped_column(Boolean, default=False)
    near_lift: Mapped[bool] = mapped_column(Boolean, default=False)
    connects_to_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), nullable=True)
    retired_from: Mapped[date | None] = mapped_column(Date, nullable=True)  # not sold from this night

    __table_args__ = (
        UniqueConstraint("property_id", "slug"),
        UniqueConstraint("property_id", "number", name="uq_rooms_property_number"),
        CheckConstraint("number BETWEEN 1 AND 65535", name="number_range"),
    )


class RatePlan(Base):
    __tablename__ = "rate_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    refundable: Mapped[bool] = mapped_column(Boolean, default=True)
    free_cancel_hours: Mapped[int] = mapped_column(Integer, default=24)
    cancel_fee_nights: Mapped[int] = mapped_column(Integer, default=1)
    deposit_kind: Mapped[str] = mapped_column(String(16), default="none")
    deposit_percent: Mapped[int] = mapped_column(Integer, default=0)
    min_stay: Mapped[int] = mapped_column(Integer, default=1)
    meals: Mapped[str] = mapped_column(String(16), default="none", server_default="none")

    __table_args__ = (
        UniqueConstraint("property_id", "code"),
        CheckConstraint(f"meals IN {MEALS!r}", name="meals"),
        CheckConstraint("deposit_kind IN ('none','first_night','percent','total')", name="deposit_kind"),
        CheckConstraint("deposit_percent BETWEEN 0 AND 100", name="deposit_percent"),
        CheckConstraint(
            "min_stay >= 1 AND free_cancel_hours >= 0 AND cancel_fee_nights >= 0", name="policy_ranges"
        ),
    )


class RatePrice(Base):
    """One nightly price of a plan for a room type, narrowed by season and weekdays."""

    __tablename__ = "rate_prices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rate_plan_id: Mapped[int] = mapped_column(ForeignKey("rate_plans.id", ondelete="CASCADE"), index=True)
    room_type_id: Mapped[int] = mapped_column(ForeignKey("room_types.id", ondelete="CASCADE"))
    amount_minor: Mapped[int] = mapped_column(Integer)
    season_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    season_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    weekdays: Mapped[list[int] | None] = mapped_column(JsonType, nullable=True)
    min_stay: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (CheckConstraint("amount_minor >= 0", name="amount_nonneg"),)


class Restriction(Base):
    """Nights [start, end) of a plan and/or room type (both empty: every one) and what they forbid."""

    __tablename__ = "rate_restrictions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"), index=True)
    rate_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("rate_plans.id", ondelete="CASCADE"), nullable=True
    )
    room_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("room_types.id", ondelete="CASCADE"), nullable=True
    )
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    min_stay: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_stay: Mapped[int | None] = mapped_column(Integer, nullable=True)
    closed_to_arrival: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_to_departure: Mapped[bool] = mapped_column(Boolean, default=False)
    stop_sell: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        CheckConstraint('"end" > start', name="dates_order"),
        CheckConstraint("(min_stay IS NULL OR min_stay >= 1) AND (max_stay IS NULL OR max_stay >= 1)",
                        name="stay_ranges"),
    )


class CardArea(Base):
    """A common area a guest card may open: a lift floor, the gym, the pool, the car park."""

    __tablename__ = "card_areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    floor_id: Mapped[int | None] = mapped_column(ForeignKey("floors.id"), nullable=True)  # lift floors

    __table_args__ = (
        UniqueConstraint("property_id", "code"),
        CheckConstraint(f"kind IN {AREA_KINDS!r}", name="kind"),
        CheckConstraint("(kind = 'lift_floor') = (floor_id IS NOT NULL)", name="lift_floor"),
    )


class CatalogStamp(Base):
    """One row; triggers on the catalog tables give it a new, never reused value on every change."""

    __tablename__ = "catalog_stamp"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stamp: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


def weekdays_set(value: Any) -> frozenset[int] | None:
    return None if value is None else frozenset(int(v) for v in value)
