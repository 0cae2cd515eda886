"""The reports' own settings: how out-of-order rooms count, and what each rate plan sells.

Nothing here copies a figure: reports are computed from the desk's and billing's tables."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base

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
