"""Replay a property node's operations into the cloud: in the node's sequence order, each
exactly once, judged by the conflict rules (cloud/node/conflicts.py). Pure orchestration:
storage, the cloud's facts and the desk's actions come through ports.

A sequence number at or below the last one replayed is a redelivery and changes nothing; one
past a gap stops the replay until the missing one arrives, so nothing is applied out of order.
An operation the cloud's desk refuses (a constraint the view did not foresee) is held like a
conflict, never dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from cloud.node.conflicts import Action, CloudView, Finding, Rule, Verdict, judge
from mqtt.node_messages import CheckIn, NodeOperation

log = logging.getLogger(__name__)
DEAD_LETTER = "dead_letter"


@dataclass(frozen=True, slots=True)
class NodeEvent:
    id: str
    seq: int
    type: str
    op: NodeOperation


class DeadLetter(NodeOperation):
    """An event the cloud could not read: kept with its reason, held for staff, so the events
    behind it go on (DESIGN principle 3)."""

    reason: str = ""
    original_type: str = ""


class DeskRefused(Exception):
    """The cloud's desk could not apply an operation (reason for staff)."""


class Desk(Protocol):
    def apply(self, event: NodeEvent, *, node: str) -> None:
        """Apply one operation to the cloud's reservations and folios; DeskRefused if not."""
        ...


class Ledger(Protocol):
    """What was replayed for each node: the last sequence, and each event's verdict."""

    def atomic(self) -> AbstractContextManager[None]: ...

    def last_seq(self, node: str) -> int: ...

    def held(self, node: str) -> frozenset[str]: ...

    def walk_ins(self, node: str) -> frozenset[str]: ...

    def record(self, event: NodeEvent, *, node: str, verdict: Verdict) -> None: ...


@dataclass
class ReplayReport:
    applied: int = 0
    held: int = 0
    duplicates: int = 0
    waiting_for: int | None = None  # the sequence number missing before the rest can go
    findings: list[Finding] = field(default_factory=list)


def replay(
    events: Iterable[NodeEvent], *, node: str, view: CloudView, desk: Desk, ledger: Ledger
) -> ReplayReport:
    report = ReplayReport()
    for event in sorted(events, key=lambda e: e.seq):
        last = ledger.last_seq(node)
        if event.seq <= last:
            report.duplicates += 1
            continue
        if event.seq != last + 1:
            report.waiting_for = last + 1
            break
        verdict = _replay_one(event, node=node, view=view, desk=desk, ledger=ledger)
        report.findings.extend(verdict.findings)
        if verdict.action is Action.APPLY:
            report.applied += 1
        else:
            report.held += 1
    return report


def _replay_one(event: NodeEvent, *, node: str, view: CloudView, desk: Desk, ledger: Ledger) -> Verdict:
    if isinstance(event.op, DeadLetter):
        verdict = Verdict(
            Action.HOLD,
            (
                Finding(
                    Rule.REFUSED,
                    f"{event.op.original_type}: {event.op.reason}",
                    "enter the operation again at the node",
                ),
            ),
        )
    else:
        verdict = judge(event.op, view=view, held=ledger.held(node), walk_ins=ledger.walk_ins(node))
    try:
        with ledger.atomic():
            if verdict.action is Action.APPLY:
                desk.apply(event, node=node)
            ledger.record(event, node=node, verdict=verdict)
    except DeskRefused as exc:
        log.warning("node %s: %s %s refused: %s", node, event.type, event.id, exc)
        verdict = Verdict(
            Action.HOLD, (Finding(Rule.HELD, f"the cloud refused it: {exc}", "resolve by hand"),)
        )
        with ledger.atomic():
            ledger.record(event, node=node, verdict=verdict)
    return verdict


def is_walk_in(event: NodeEvent) -> bool:
    return isinstance(event.op, CheckIn) and event.op.walk_in
