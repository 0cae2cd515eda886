"""In-memory twin of the replay ledger, for tests and the demo."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from cloud.node.conflicts import Action, Verdict
from cloud.node.replay import NodeEvent, is_walk_in


@dataclass(frozen=True, slots=True)
class Recorded:
    node: str
    event: NodeEvent
    verdict: Verdict


@dataclass
class MemoryLedger:
    seqs: dict[str, int] = field(default_factory=dict)
    entries: list[Recorded] = field(default_factory=list)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        saved = copy.deepcopy((self.seqs, self.entries))
        try:
            yield
        except BaseException:
            self.seqs, self.entries = saved
            raise

    def last_seq(self, node: str) -> int:
        return self.seqs.get(node, 0)

    def held(self, node: str) -> frozenset[str]:
        return frozenset(
            r.event.op.reservation_id
            for r in self.entries
            if r.node == node and r.verdict.action is Action.HOLD
        )

    def walk_ins(self, node: str) -> frozenset[str]:
        return frozenset(
            r.event.op.reservation_id
            for r in self.entries
            if r.node == node and r.verdict.action is Action.APPLY and is_walk_in(r.event)
        )

    def record(self, event: NodeEvent, *, node: str, verdict: Verdict) -> None:
        self.seqs[node] = event.seq
        self.entries.append(Recorded(node, event, verdict))
