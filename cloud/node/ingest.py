"""The cloud's side of the node link: store what nodes send, once, then confirm it to them
and replay it. A message is acknowledged to the broker only after its batch is committed, and
``events.stored`` goes to the node only then, so a crash anywhere loses nothing and repeats
nothing (the ids are the key)."""

from __future__ import annotations

import logging
import queue
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from cloud.ingest.link import CloudLink, Inbound
from cloud.node.conflicts import CloudView
from cloud.node.replay import Desk, NodeEvent, ReplayReport, replay
from cloud.node.store import SqlLedger, open_conflicts, store_events, unreplayed
from mqtt.codec import ContractError, encode
from mqtt.messages import EventsStored
from mqtt.node_messages import NodeOperation
from mqtt.node_topics import NodeTopic, decode_node, parse_node_topic
from mqtt.topics import Kind

log = logging.getLogger(__name__)
DeskFor = Callable[[Session], tuple[CloudView, Desk]]
Node = tuple[str, str]  # (site, node)


class NodeIngest:
    """Drain the link's inbox in batches on a thread of its own."""

    def __init__(
        self,
        link: CloudLink,
        sessions: sessionmaker[Session],
        *,
        desk_for: DeskFor | None = None,
        batch_max: int = 500,
    ) -> None:
        self.link, self.sessions, self.desk_for = link, sessions, desk_for
        self.batch_max = batch_max
        self.rejected = 0
        self.reports: list[ReplayReport] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="node-ingest", daemon=True)

    def start(self) -> None:
        self.link.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.link.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                first = self.link.inbox.get(timeout=0.1)
            except queue.Empty:
                continue
            batch = [first]
            while len(batch) < self.batch_max:
                try:
                    batch.append(self.link.inbox.get_nowait())
                except queue.Empty:
                    break
            try:
                self.handle(batch)
            except Exception:  # the messages stay unacknowledged: the broker redelivers them
                log.exception("node batch failed; waiting for redelivery")

    def handle(self, batch: list[Inbound]) -> None:
        """Store, commit, ack, confirm, replay."""
        now = datetime.now(UTC)
        events = self._decode(batch)
        with self.sessions.begin() as session:
            for (site, node), items in events.items():
                store_events(session, site=site, node=node, events=items, now=now)
        for item in batch:
            self.link.ack(item.mid, item.qos)
        for (site, node), items in events.items():
            stored = EventsStored(ids=[e.id for e in items])
            topic = str(NodeTopic(Kind.CMD, site, node))
            self.link.publish(
                topic, encode(type="events.stored", source="posada-cloud", data=stored).to_json()
            )
            if self.desk_for is not None:
                self.reports.append(self.replay(site=site, node=node, now=now))
                self._tell_conflicts(site=site, node=node, topic=topic)

    def _tell_conflicts(self, *, site: str, node: str, topic: str) -> None:
        with self.sessions() as session:
            conflicts = open_conflicts(session, site=site, node=node)
        self.link.publish(topic, encode(type="node.conflicts", source="posada-cloud",
                                        data=conflicts).to_json())

    def replay(self, *, site: str, node: str, now: datetime) -> ReplayReport:
        assert self.desk_for is not None
        with self.sessions.begin() as session:
            view, desk = self.desk_for(session)
            ledger = SqlLedger(session, site=site, now=now)
            todo = unreplayed(session, site=site, node=node, after_seq=ledger.last_seq(node))
            return replay(todo, node=node, view=view, desk=desk, ledger=ledger)

    def _decode(self, batch: list[Inbound]) -> dict[Node, list[NodeEvent]]:
        events: dict[Node, list[NodeEvent]] = defaultdict(list)
        for item in batch:
            try:
                topic = parse_node_topic(item.topic)
                if topic.kind is not Kind.EVENTS:
                    continue  # status and acks: nothing to store yet
                message = decode_node(item.topic, item.payload)
            except (ContractError, ValueError) as exc:
                self.rejected += 1
                log.warning("node message refused on %s: %s", item.topic[:200], exc)
                continue
            op, seq = message.data, message.envelope.seq
            if not isinstance(op, NodeOperation) or seq is None or seq < 1:
                self.rejected += 1
                log.warning("node event %s without a known operation or a sequence", message.envelope.id)
                continue
            events[(topic.site, topic.node)].append(
                NodeEvent(id=message.envelope.id, seq=seq, type=message.envelope.type, op=op)
            )
        return events
