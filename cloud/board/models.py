"""What the cloud knows of each floor: gateways, room snapshots, and every stored event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, JsonType


class Gateway(Base):
    __tablename__ = "gateways"

    site: Mapped[str] = mapped_column(String(63), primary_key=True)
    floor: Mapped[str] = mapped_column(String(63), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="unknown")
    version: Mapped[str] = mapped_column(String(64), default="")
    clock_offset_s: Mapped[float | None] = mapped_column(nullable=True)
    last_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    confirmed_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class RoomStatus(Base):
    """The latest retained snapshot a gateway published for a room."""

    __tablename__ = "room_status"

    site: Mapped[str] = mapped_column(String(63), primary_key=True)
    floor: Mapped[str] = mapped_column(String(63), primary_key=True)
    room: Mapped[str] = mapped_column(String(63), primary_key=True)
    occupied: Mapped[bool] = mapped_column(Boolean, default=False)
    guest_present: Mapped[bool] = mapped_column(Boolean, default=False)
    door: Mapped[str] = mapped_column(String(16), default="unknown")
    lock: Mapped[str] = mapped_column(String(16), default="unknown")
    dnd: Mapped[bool] = mapped_column(Boolean, default=False)
    housekeeping: Mapped[str] = mapped_column(String(16), default="clean")
    last_access_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_access_granted: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    last_access_credential: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_access_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class EventRecord(Base):
    """An edge event, stored exactly once by its id. Dead letters keep their reason."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site: Mapped[str] = mapped_column(String(63))
    floor: Mapped[str] = mapped_column(String(63))
    room: Mapped[str | None] = mapped_column(String(63), nullable=True)
    type: Mapped[str] = mapped_column(String(64))
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(128))
    seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    credential_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    dead_letter: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        Index("ix_events_room_ts", "site", "floor", "room", "ts"),
        Index("ix_events_source_seq", "source", "seq"),
        Index("ix_events_credential", "credential_id", "ts"),
    )


class Rejection(Base):
    """Counters of inbound MQTT payloads refused by the contract, by topic kind and reason."""

    __tablename__ = "mqtt_rejections"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_detail: Mapped[str] = mapped_column(Text, default="")
    last_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
