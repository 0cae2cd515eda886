"""Chain promotions (defined once, pushed to properties), their offer codes and each use of one,
and the earning rules a chain sets for itself. No personal data: a personal code names a profile id.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, JsonType, UtcDateTime

PROMOTION_KINDS = ("package", "member_rate", "seasonal", "birthday")
PRICE_RULES = ("percent_off", "amount_off", "fixed")


class Promotion(Base):
    """A package or offer headquarters defines once: dates, rooms, price rule, extras, points."""

    __tablename__ = "loyalty_promotions"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    chain: Mapped[str] = mapped_column(String(63), index=True)
    code: Mapped[str] = mapped_column(String(24))  # the rate plan at each property is "~" + code
    kind: Mapped[str] = mapped_column(String(16))
    names: Mapped[dict[str, str]] = mapped_column(JsonType)  # language -> name
    base_plan: Mapped[str] = mapped_column(String(32))  # each property's plan the prices derive from
    room_types: Mapped[list[str]] = mapped_column(JsonType, default=list)  # empty: every type
    price_rule: Mapped[str] = mapped_column(String(16))
    price_value: Mapped[int] = mapped_column(Integer)  # percent, or minor units of the property's currency
    stay_from: Mapped[date] = mapped_column(Date)  # first night
    stay_until: Mapped[date] = mapped_column(Date)  # the night after the last
    weekdays: Mapped[list[int] | None] = mapped_column(JsonType, nullable=True)  # nights sold (0 = Monday)
    min_nights: Mapped[int] = mapped_column(Integer, default=1)
    extras: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)  # [{"item", "per"}]
    code_only: Mapped[bool] = mapped_column(Boolean, default=False)  # booking engine: with a code only
    opt_out: Mapped[bool] = mapped_column(Boolean, default=True)  # properties may decline it
    multiplier_pct: Mapped[int] = mapped_column(Integer, default=100)  # points on its stays
    bonus_points: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("chain", "code"),
        CheckConstraint(f"kind IN {PROMOTION_KINDS!r}", name="kind"),
        CheckConstraint(f"price_rule IN {PRICE_RULES!r}", name="price_rule"),
        CheckConstraint("stay_until > stay_from AND min_nights >= 1 AND price_value >= 0", name="ranges"),
        CheckConstraint("multiplier_pct BETWEEN 100 AND 1000 AND bonus_points >= 0", name="points"),
        CheckConstraint("status IN ('active', 'withdrawn')", name="status"),
    )


class PromotionSite(Base):
    """A property the promotion was pushed to, the rate plan that sells it there, and its choice."""

    __tablename__ = "loyalty_promotion_sites"

    promotion_id: Mapped[str] = mapped_column(ForeignKey("loyalty_promotions.id"), primary_key=True)
    site: Mapped[str] = mapped_column(String(63), primary_key=True)
    rate_plan_id: Mapped[int] = mapped_column(ForeignKey("rate_plans.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # when the prices were derived from the base plan: they stay as they were until repriced
    priced_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (CheckConstraint("state IN ('active', 'opted_out', 'withdrawn')", name="state"),)


class OfferCode(Base):
    """A code that unlocks a promotion in the booking engine: kept only as a keyed digest."""

    __tablename__ = "loyalty_offer_codes"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    promotion_id: Mapped[str] = mapped_column(ForeignKey("loyalty_promotions.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(8))  # the last characters, for staff to tell codes apart
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    valid_until: Mapped[date] = mapped_column(Date)  # the last day a booking may use it
    guest_id: Mapped[str | None] = mapped_column(String(26), nullable=True)  # a personal code
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (CheckConstraint("max_uses >= 1 AND uses BETWEEN 0 AND max_uses", name="uses"),)


class OfferUse(Base):
    """One booking that used a code; a booking cancelled before its stay gives the use back."""

    __tablename__ = "loyalty_offer_uses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_id: Mapped[str] = mapped_column(ForeignKey("loyalty_offer_codes.id"), index=True)
    reservation_id: Mapped[str] = mapped_column(String(26))
    site: Mapped[str] = mapped_column(String(63))
    used_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (Index("uq_loyalty_offer_uses_reservation", "reservation_id", unique=True),)


class ChainRules(Base):
    """A chain's own earning rules (unset fields: the programme's)."""

    __tablename__ = "loyalty_chain_rules"

    chain: Mapped[str] = mapped_column(String(63), primary_key=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JsonType)
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
