"""Group and event blocks, and long-stay contracts with their recurring services."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, JsonType, UtcDateTime


class GroupBlock(Base):
    """Rooms held for a group or an event until the release date."""

    __tablename__ = "group_blocks"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8), default="group")
    arrival: Mapped[date] = mapped_column(Date)
    departure: Mapped[date] = mapped_column(Date)
    release_on: Mapped[date] = mapped_column(Date)
    rate_plan_id: Mapped[int] = mapped_column(ForeignKey("rate_plans.id"))
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("departure > arrival", name="stay_order"),
        CheckConstraint("kind IN ('group', 'event')", name="kind"),
    )


class BlockAllotment(Base):
    """How many rooms of a type the block holds (counted as sold) and how many are picked up."""

    __tablename__ = "block_allotments"

    block_id: Mapped[str] = mapped_column(ForeignKey("group_blocks.id", ondelete="CASCADE"), primary_key=True)
    room_type_id: Mapped[int] = mapped_column(ForeignKey("room_types.id"), primary_key=True)
    held: Mapped[int] = mapped_column(Integer)
    picked: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (CheckConstraint("picked >= 0 AND picked <= held", name="picked_within_held"),)


class LongStayContract(Base):
    __tablename__ = "long_stay_contracts"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    reservation_id: Mapped[str] = mapped_column(ForeignKey("reservations.id"), unique=True)
    monthly_rate_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    billing_day: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("billing_day BETWEEN 1 AND 28", name="billing_day"),
        CheckConstraint("monthly_rate_minor >= 0", name="rate_nonneg"),
    )


class ContractService(Base):
    """A recurring service, e.g. cleaning on Tuesdays and Fridays (0=Monday)."""

    __tablename__ = "contract_services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[str] = mapped_column(
        ForeignKey("long_stay_contracts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    weekdays: Mapped[list[int]] = mapped_column(JsonType)


class ServiceTask(Base):
    __tablename__ = "service_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("contract_services.id", ondelete="CASCADE"))
    reservation_id: Mapped[str] = mapped_column(ForeignKey("reservations.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")

    __table_args__ = (
        UniqueConstraint("service_id", "due_on"),
        CheckConstraint("status IN ('open', 'done', 'cancelled')", name="status"),
    )
