"""A property's channels: mappings, channel reservations, the ARI outbox, sync state and problems.

``channel_changes`` is written by database triggers on ``type_inventory``, ``rate_prices`` and
``rate_restrictions`` (migration channels_0001), in the transaction that changes what can be
sold, whoever writes; the ARI planner turns those marks into queued messages per channel.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, UtcDateTime
from cloud.guests.sealed import SealedJson, SealedText

KINDS = ("ical", "ota")
MESSAGE_KINDS = ("availability", "restrictions", "rates", "counts")
RESERVATION_STATES = ("booked", "cancelled", "overbooked", "overbooking_cancelled")
DIRECTIONS = ("push", "pull", "inbound")


class Channel(Base):
    """One sales channel of a property (Booking.com, Airbnb, ...), reached by iCal or OTA XML."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))
    markup_bp: Mapped[int] = mapped_column(Integer, default=0)  # basis points over our price
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    hotel_code: Mapped[str] = mapped_column(String(64), default="")  # our HotelCode at the channel
    endpoint_url: Mapped[str | None] = mapped_column(String(500), nullable=True)  # OTA ARI target
    secret_hash: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the feed/inbound secret
    calls_per_minute: Mapped[int] = mapped_column(Integer, default=20)
    # what we present to the channel (requestor id and password, basic or bearer): sealed, never shown
    credentials: Mapped[dict[str, Any] | None] = mapped_column(
        "credentials_enc", SealedJson("channels.credentials"), nullable=True
    )
    commission_bp: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # of room revenue
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("property_id", "code"),
        CheckConstraint(f"kind IN {KINDS!r}", name="kind"),
        CheckConstraint("markup_bp BETWEEN -5000 AND 50000", name="markup_range"),
        CheckConstraint("calls_per_minute BETWEEN 1 AND 6000", name="rate_range"),
    )


class ChannelMapping(Base):
    """Our room type (and rate plan) under the channel's codes; an iCal import feed per type."""

    __tablename__ = "channel_mappings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    room_type_id: Mapped[int] = mapped_column(ForeignKey("room_types.id", ondelete="CASCADE"))
    rate_plan_id: Mapped[int] = mapped_column(ForeignKey("rate_plans.id", ondelete="CASCADE"))
    room_code: Mapped[str] = mapped_column(String(64))
    rate_code: Mapped[str] = mapped_column(String(64))
    import_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # guests -> basis points over the room's price, one amount per occupancy in rate pushes
    occupancy_bp: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)

    __table_args__ = (
        UniqueConstraint("channel_id", "room_code", "rate_code", name="uq_channel_mappings_codes"),
        UniqueConstraint("channel_id", "room_type_id", "rate_plan_id", name="uq_channel_mappings_ours"),
    )


class ChannelReservation(Base):
    """A reservation as the channel sent it: stored, or kept as an overbooking when sold out."""

    __tablename__ = "channel_reservations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    confirmation: Mapped[str] = mapped_column(String(64))  # the channel's ResID / the iCal UID
    # which room of the channel's reservation (its RoomStay IndexNumber; 1 for a single room)
    room_index: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    reservation_id: Mapped[str | None] = mapped_column(
        ForeignKey("reservations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(24))
    room_type_id: Mapped[int] = mapped_column(ForeignKey("room_types.id"))
    rate_plan_id: Mapped[int] = mapped_column(ForeignKey("rate_plans.id"))
    arrival: Mapped[date] = mapped_column(Date)
    departure: Mapped[date] = mapped_column(Date)
    guest_name: Mapped[str] = mapped_column("guest_name_enc", SealedText("channel_reservations.guest_name"))
    total_minor: Mapped[int] = mapped_column(Integer, default=0)  # the channel's total, as stated
    # our own price of the stay when the channel's was taken (the difference: markup, commission)
    ours_minor: Mapped[int | None] = mapped_column(Integer, nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    detail: Mapped[dict[str, Any]] = mapped_column(
        "detail_enc", SealedJson("channel_reservations.detail"), default=dict
    )  # the guest's e-mail, phone
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("channel_id", "confirmation", "room_index", name="uq_channel_reservations_room"),
        CheckConstraint("room_index BETWEEN 1 AND 999", name="room_index"),
        CheckConstraint(f"status IN {RESERVATION_STATES!r}", name="status"),
        CheckConstraint("departure > arrival", name="stay_order"),
        CheckConstraint("total_minor >= 0", name="money"),
    )


class ChannelMessage(Base):
    """One ARI message waiting to be sent (coalesced by range), or failed with its error."""

    __tablename__ = "channel_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    room_type_id: Mapped[int] = mapped_column(ForeignKey("room_types.id", ondelete="CASCADE"))
    rate_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("rate_plans.id", ondelete="CASCADE"), nullable=True
    )
    first_night: Mapped[date] = mapped_column(Date)
    last_night: Mapped[date] = mapped_column(Date)  # inclusive
    status: Mapped[str] = mapped_column(String(8), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(UtcDateTime)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the change it carries, for latency
    last_error: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        CheckConstraint(f"kind IN {MESSAGE_KINDS!r}", name="kind"),
        CheckConstraint("status IN ('queued', 'failed')", name="status"),
        CheckConstraint("last_night >= first_night", name="range_order"),
        Index("ix_channel_outbox_due", "channel_id", "status", "next_at"),
    )


class ChannelChange(Base):
    """A mark that what can be sold changed (written by triggers): nights of a type and/or plan."""

    __tablename__ = "channel_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    property_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    room_type_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rate_plan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    first_night: Mapped[date | None] = mapped_column(Date, nullable=True)  # None: from today
    last_night: Mapped[date | None] = mapped_column(Date, nullable=True)  # None: the horizon


class ChannelSync(Base):
    """The last success and the last failure of a channel in one direction."""

    __tablename__ = "channel_syncs"

    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_ok_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (CheckConstraint(f"direction IN {DIRECTIONS!r}", name="direction"),)


class ChannelProblem(Base):
    """Something refused from a channel (bad message, bad feed): the reason, shown on the page."""

    __tablename__ = "channel_problems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(String(32))  # ota-reservation, ical-import, ari-push
    reason: Mapped[str] = mapped_column(Text)
