"""The cloud's record of property nodes' events: stored once by id, replayed once by sequence.

``store_events`` keeps what arrived (a redelivery adds nothing); ``SqlLedger`` is the replay's
ledger in the same session, each event's verdict in a savepoint with the desk's changes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from cloud.node.conflicts import Action, Verdict
from cloud.node.models import NodeEvent as EventRow
from cloud.node.models import NodeOutcome
from cloud.node.replay import DEAD_LETTER, DeadLetter, NodeEvent, is_walk_in
from mqtt.node_messages import OPERATIONS, ConflictItem, NodeConflicts, NodeOperation


def store_events(
    session: Session, *, site: str, node: str, events: Sequence[NodeEvent], now: datetime
) -> int:
    """Keep the events not seen before; returns how many were new."""
    ids = [e.id for e in events]
    seen = set(session.scalars(select(EventRow.id).where(EventRow.id.in_(ids))))
    new = 0
    for event in events:
        if event.id in seen:
            continue
        seen.add(event.id)
        session.add(
            EventRow(
                id=event.id,
                site=site,
                node=node,
                seq=event.seq,
                type=event.type,
                data=event.op.model_dump(mode="json", exclude_none=True),
                received_at=now,
            )
        )
        new += 1
    session.flush()
    return new


def unreplayed(session: Session, *, site: str, node: str, after_seq: int) -> list[NodeEvent]:
    rows = session.scalars(
        select(EventRow)
        .where(
            EventRow.site == site,
            EventRow.node == node,
            EventRow.seq > after_seq,
        )
        .order_by(EventRow.seq)
    )
    return [
        NodeEvent(id=r.id, seq=r.seq, type=r.type, op=_model(r.type).model_validate(r.data)) for r in rows
    ]


def _model(type_: str) -> type[NodeOperation]:
    return DeadLetter if type_ == DEAD_LETTER else OPERATIONS[type_]


class SqlLedger:
    """The replay ledger of one site's nodes inside ``session``."""

    def __init__(self, session: Session, *, site: str, now: datetime) -> None:
        self.session, self.site, self.now = session, site, now

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self.session.begin_nested():
            yield

    def last_seq(self, node: str) -> int:
        return int(
            self.session.scalar(select(func.coalesce(func.max(NodeOutcome.seq), 0)).where(*self._of(node)))
            or 0
        )

    def held(self, node: str) -> frozenset[str]:
        return frozenset(
            self.session.scalars(
                select(NodeOutcome.reservation_id).where(
                    *self._of(node),
                    NodeOutcome.action == Action.HOLD.value,
                    NodeOutcome.resolved_at.is_(None),
                )
            )
        )

    def walk_ins(self, node: str) -> frozenset[str]:
        return frozenset(
            self.session.scalars(
                select(NodeOutcome.reservation_id).where(
                    *self._of(node), NodeOutcome.walk_in.is_(True), NodeOutcome.action == Action.APPLY.value
                )
            )
        )

    def record(self, event: NodeEvent, *, node: str, verdict: Verdict) -> None:
        self.session.add(
            NodeOutcome(
                event_id=event.id,
                site=self.site,
                node=node,
                seq=event.seq,
                reservation_id=event.op.reservation_id,
                action=verdict.action.value,
                walk_in=is_walk_in(event),
                decided_at=self.now,
                findings=[asdict(f) | {"others": list(f.others)} for f in verdict.findings],
            )
        )
        self.session.flush()

    def _of(self, node: str) -> tuple[ColumnElement[bool], ...]:
        return (NodeOutcome.site == self.site, NodeOutcome.node == node)


def findings_for_staff(session: Session, *, site: str) -> list[NodeOutcome]:
    """What waits for staff (held, unresolved) and what was resolved by a rule, newest last."""
    rows = session.scalars(
        select(NodeOutcome).where(NodeOutcome.site == site).order_by(NodeOutcome.node, NodeOutcome.seq)
    )
    return [row for row in rows if row.findings]


def open_conflicts(session: Session, *, site: str, node: str) -> NodeConflicts:
    """What the node's staff must see: its operations held and not yet resolved."""
    rows = session.scalars(
        select(NodeOutcome)
        .where(
            NodeOutcome.site == site,
            NodeOutcome.node == node,
            NodeOutcome.action == Action.HOLD.value,
            NodeOutcome.resolved_at.is_(None),
        )
        .order_by(NodeOutcome.seq)
    )
    items = [
        ConflictItem(
            event_id=r.event_id,
            reservation_id=r.reservation_id,
            rule=f.get("rule", "held"),
            detail=str(f.get("detail", ""))[:500],
            suggestion=str(f.get("suggestion", ""))[:500],
        )
        for r in rows
        for f in r.findings[:1]
    ]
    replayed = SqlLedger(session, site=site, now=datetime.now(UTC)).last_seq(node)
    return NodeConflicts(replayed_seq=replayed, items=items[:1000])
