"""The cloud's side of the node link: store what nodes send, once, then confirm it to them
and replay it. A message is acknowledged to the broker only after its batch is committed, and
``events.stored`` goes to the node only then, so a crash anywhere loses nothing and repeats
nothing (the ids are the key)."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from cloud.guests.settings import GuestSettings
from cloud.ingest.link import CloudLink, Inbound
from cloud.node.conflicts import CloudView
from cloud.node.replay import DEAD_LETTER, DeadLetter, Desk, NodeEvent, ReplayReport, replay
from cloud.node.replica_feed import BEHIND, ReplicaFeed
from cloud.node.store import SqlLedger, open_conflicts, store_events, unreplayed
from mqtt.codec import ContractError, encode
from mqtt.messages import CommandAck, Data, EventsStored, GatewayStatus
from mqtt.node_messages import NodeOperation
from mqtt.node_topics import NodeTopic, decode_node, node_envelope, parse_node_topic
from mqtt.topics import Kind, TopicError

log = logging.getLogger(__name__)
DeskFor = Callable[[Session, str], tuple[CloudView, Desk]]  # (session, site)
Node = tuple[str, str]  # (site, node)
DEFAULT_SECRET = GuestSettings.model_fields["secret_key"].default  # the demo's and the tests'


class NodeIngest:
    """Drain the link's inbox in batches on a thread of its own."""

    def __init__(
        self,
        link: CloudLink,
        sessions: sessionmaker[Session],
        *,
        desk_for: DeskFor | None = None,
        batch_max: int = 500,
        feed: ReplicaFeed | None = None,
        replica_every_s: float = 60.0,
    ) -> None:
        self.link, self.sessions, self.desk_for = link, sessions, desk_for
        self.batch_max = batch_max
        self.feed = feed or ReplicaFeed(DEFAULT_SECRET)
        self.replica_every_s = replica_every_s
        self.online: set[Node] = set()  # nodes whose last status said online
        self.on_online: list[Callable[[str, str], None]] = []  # (site, node), e.g. its card key
        self.rounds: list[Callable[[], None]] = []  # beside each replica round, e.g. key renewal
        self.rejected = 0  # not even an envelope with a sequence: acknowledged and dropped
        self.dead_lettered = 0  # kept as dead letters, held for staff
        self.replicas_sent = 0
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
        due = time.monotonic() + self.replica_every_s
        while not self._stop.is_set():
            if time.monotonic() >= due:  # the online nodes hear what changed (and the time)
                due = time.monotonic() + self.replica_every_s
                self._replica_round()
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
        came = self._came_online(batch)
        for site, node in sorted(came):
            for hook in self.on_online:
                hook(site, node)
        behind = self._behind(batch)
        if behind:
            with self.sessions.begin() as session:
                for site, node in behind:
                    self.feed.behind(session, site=site, node=node)
        if self.desk_for is not None:  # a node that came back, is behind, or whose work just landed
            for site, node in sorted(set(events) | came | behind):
                self._send_replica(site=site, node=node, now=now)

    def _replica_round(self) -> None:
        for work in self.rounds:
            try:
                work()
            except Exception:  # logged; the next round tries again
                log.exception("node round %s failed", getattr(work, "__name__", work))
        now = datetime.now(UTC)
        for site, node in sorted(self.online):
            try:
                self._send_replica(site=site, node=node, now=now)
            except Exception:  # one node's failure must not stop the others' nor the ingest
                log.exception("replica for node %s/%s failed", site, node)

    def tell(self, *, site: str, node: str, type_: str, data: Data) -> None:
        """A command to one node on its ``cmd`` (QoS 1; its session is persistent)."""
        self.link.publish(
            str(NodeTopic(Kind.CMD, site, node)),
            encode(type=type_, source="posada-cloud", data=data).to_json(),
        )

    def _send_replica(self, *, site: str, node: str, now: datetime) -> None:
        """The node's next picture (whole or its changes), kept before it is published."""
        try:
            with self.sessions.begin() as session:
                messages = self.feed.next(session, site=site, node=node, now=now)
        except LookupError as exc:
            log.warning("no replica for node %s/%s: %s", site, node, exc)
            return
        self.replicas_sent += 1
        for type_, data in messages:
            self.tell(site=site, node=node, type_=type_, data=data)

    def _came_online(self, batch: list[Inbound]) -> set[Node]:
        nodes: set[Node] = set()
        for item in batch:
            try:
                topic = parse_node_topic(item.topic)
                if topic.kind is Kind.STATUS:
                    status = decode_node(item.topic, item.payload).data
                    if isinstance(status, GatewayStatus) and status.state == "online":
                        nodes.add((topic.site, topic.node))
                        self.online.add((topic.site, topic.node))
                    else:
                        self.online.discard((topic.site, topic.node))
            except (TopicError, ContractError) as exc:
                log.warning("node status refused on %s: %s", item.topic[:200], exc)
        return nodes

    def _behind(self, batch: list[Inbound]) -> set[Node]:
        """Nodes that said a replica delta did not follow what they hold."""
        nodes: set[Node] = set()
        for item in batch:
            try:
                topic = parse_node_topic(item.topic)
                if topic.kind is Kind.ACK:
                    ack = decode_node(item.topic, item.payload).data
                    if isinstance(ack, CommandAck) and not ack.ok and ack.error.startswith(BEHIND):
                        log.info("node %s/%s is behind: %s", topic.site, topic.node, ack.error)
                        nodes.add((topic.site, topic.node))
            except (TopicError, ContractError) as exc:
                log.warning("node ack refused on %s: %s", item.topic[:200], exc)
        return nodes

    def _tell_conflicts(self, *, site: str, node: str, topic: str) -> None:
        with self.sessions() as session:
            conflicts = open_conflicts(session, site=site, node=node)
        self.link.publish(
            topic, encode(type="node.conflicts", source="posada-cloud", data=conflicts).to_json()
        )

    def replay(self, *, site: str, node: str, now: datetime) -> ReplayReport:
        assert self.desk_for is not None
        with self.sessions.begin() as session:
            view, desk = self.desk_for(session, site)
            ledger = SqlLedger(session, site=site, now=now)
            todo = unreplayed(session, site=site, node=node, after_seq=ledger.last_seq(node))
            return replay(todo, node=node, view=view, desk=desk, ledger=ledger)

    def _decode(self, batch: list[Inbound]) -> dict[Node, list[NodeEvent]]:
        events: dict[Node, list[NodeEvent]] = defaultdict(list)
        for item in batch:
            try:
                topic = parse_node_topic(item.topic)
            except TopicError as exc:
                self._refuse(item, exc)
                continue
            if topic.kind is not Kind.EVENTS:
                continue  # status and acks: nothing to store
            event = self._event(item)
            if event is not None:
                events[(topic.site, topic.node)].append(event)
        return events

    def _event(self, item: Inbound) -> NodeEvent | None:
        try:
            message = decode_node(item.topic, item.payload)
        except ContractError as exc:
            return self._dead_letter(item, str(exc))
        op, envelope = message.data, message.envelope
        if envelope.seq is None or envelope.seq < 1:
            self._refuse(item, "no sequence: it cannot be put in order")
            return None
        if not isinstance(op, NodeOperation):
            return self._dead_letter(item, f"unknown operation {envelope.type[:64]!r}")
        return NodeEvent(id=envelope.id, seq=envelope.seq, type=envelope.type, op=op)

    def _dead_letter(self, item: Inbound, reason: str) -> NodeEvent | None:
        """Keep an unreadable event whose envelope still says where it stands in the node's
        order, so staff see it and the events behind it go on."""
        try:
            envelope = node_envelope(item.topic, item.payload)
        except ContractError as exc:
            self._refuse(item, exc)
            return None
        if envelope.seq is None or envelope.seq < 1:
            self._refuse(item, reason)
            return None
        self.dead_lettered += 1
        log.warning("node event %s dead-lettered: %s", envelope.id, reason)
        return NodeEvent(
            id=envelope.id,
            seq=envelope.seq,
            type=DEAD_LETTER,
            op=DeadLetter(
                at=envelope.ts, reservation_id="-", reason=reason[:500], original_type=envelope.type[:64]
            ),
        )

    def _refuse(self, item: Inbound, reason: object) -> None:
        self.rejected += 1
        log.warning("node message refused on %s: %s", item.topic[:200], reason)
