"""The ingest loop: drain the inbox in batches, commit, then ack to the broker and confirm to gateways."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloud.ingest.batch import classify
from cloud.ingest.link import CloudLink, Inbound
from cloud.ingest.store import IngestStore, WriteResult
from mqtt.codec import encode
from mqtt.envelope import utcnow
from mqtt.messages import EventsStored
from mqtt.topics import Kind, Topic

log = logging.getLogger(__name__)
Listener = Callable[[WriteResult], None]
TelemetryListener = Callable[[list[Any]], object]


@dataclass
class IngestCounters:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0
    failed_batches: int = 0


class IngestService:
    def __init__(self, link: CloudLink, store: IngestStore, *, batch_max: int = 2000,
                 batch_wait_s: float = 0.02, source: str = "posada-cloud") -> None:
        self.link = link
        self.store = store
        self.batch_max = batch_max
        self.batch_wait_s = batch_wait_s
        self.source = source
        self.counters = IngestCounters()
        self.listeners: list[Listener] = []
        self.on_telemetry: TelemetryListener | None = None  # QoS 0 readings, handed off unblocking
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ingest", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self._next_batch()
            if batch:
                self._process(batch)

    def _next_batch(self) -> list[Inbound]:
        try:
            first = self.link.inbox.get(timeout=0.2)
        except queue.Empty:
            return []
        items = [first]
        deadline = time.monotonic() + self.batch_wait_s
        while len(items) < self.batch_max:
            remaining = deadline - time.monotonic()
            try:
                items.append(self.link.inbox.get(timeout=max(remaining, 0)) if remaining > 0
                             else self.link.inbox.get_nowait())
            except queue.Empty:
                break
        return items

    def _process(self, items: list[Inbound]) -> None:
        batch = classify([(m.topic, m.payload) for m in items], received_at=utcnow())
        while not self._stop.is_set():
            try:
                result = self.store.write(batch)
                break
            except Exception:  # the database is away: keep the batch, unacked, and retry
                self.counters.failed_batches += 1
                log.exception("ingest batch of %d failed to commit; retrying", len(items))
                time.sleep(1.0)
        else:
            return  # stopping: unacked messages are redelivered to the next session
        for m in items:
            self.link.ack(m.mid, m.qos)
        self._confirm(batch.confirmations())
        self._count(len(items), len(batch.events), len(result.new_events), len(batch.rejected))
        if batch.telemetry and self.on_telemetry is not None:
            self.on_telemetry(batch.telemetry)
        for listener in self.listeners:
            try:
                listener(result)
            except Exception:
                log.exception("ingest listener failed")

    def _confirm(self, by_floor: dict[tuple[str, str], list[str]]) -> None:
        for (site, floor), ids in by_floor.items():
            for start in range(0, len(ids), 5000):
                env = encode(type="events.stored", source=self.source,
                             data=EventsStored(ids=ids[start:start + 5000]))
                self.link.publish(str(Topic(Kind.CMD, site, floor)), env.to_json(), qos=1)

    def _count(self, received: int, events: int, new: int, rejected: int) -> None:
        c = self.counters
        c.received += received
        c.stored += new
        c.duplicates += events - new
        c.rejected += rejected
        c.batches += 1
