"""Tables of the cloud's side of property nodes: the events each node sent (stored once, by
id) and the verdict of each replayed one (what was applied, what waits for staff)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, String, UniqueConstraint
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
