"""Tables of the cloud's side of property nodes: the events each node sent (stored once, by
id) and the verdict of each replayed one (what was applied, what waits for staff)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, JsonType, UtcDateTime

TS = UtcDateTime()


class NodeEvent(Base):
    """One operation a node did, as it arrived; ``seq`` is the node's own order."""

    __tablename__ = "node_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site: Mapped[str] = mapped_column(String(63))
    node: Mapped[str] = mapped_column(String(63))
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    received_at: Mapped[datetime] = mapped_column(TS)

    __table_args__ = (UniqueConstraint("site", "node", "seq", name="uq_node_events_seq"),)


class NodeOutcome(Base):
    """The verdict on one replayed event: ``apply`` or ``hold`` (listed for staff until
    ``resolved_at``), with the rules' findings."""

    __tablename__ = "node_outcomes"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site: Mapped[str] = mapped_column(String(63))
    node: Mapped[str] = mapped_column(String(63))
    seq: Mapped[int] = mapped_column(BigInteger)
    reservation_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(8))
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    decided_at: Mapped[datetime] = mapped_column(TS)
    resolved_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)

    __table_args__ = (UniqueConstraint("site", "node", "seq", name="uq_node_outcomes_seq"),)


class NodeReplicaState(Base):
    """The last replica picture sent to a node (``version``), to send it only what changed;
    ``full_needed`` when the node said it is behind (or never got one)."""

    __tablename__ = "node_replicas"

    site: Mapped[str] = mapped_column(String(63), primary_key=True)
    node: Mapped[str] = mapped_column(String(63), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JsonType)
    full_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[datetime] = mapped_column(TS)


class NodeCardKey(Base):
    """A node's own keys as staff registered them (its card key, delegated by the property key
    for a bounded window and renewed while it is not retired; its sealing key for guests'
    data), and the delegation in force."""

    __tablename__ = "node_card_keys"

    site: Mapped[str] = mapped_column(String(63), primary_key=True)
    node: Mapped[str] = mapped_column(String(63), primary_key=True)
    key_id: Mapped[int] = mapped_column(Integer)
    public_key: Mapped[str] = mapped_column(String(64))
    seal_key: Mapped[str] = mapped_column(String(64), default="")
    delegation: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    registered_at: Mapped[datetime] = mapped_column(TS)
    retired_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)

    __table_args__ = (CheckConstraint("key_id BETWEEN 61440 AND 65535", name="key_id"),)
