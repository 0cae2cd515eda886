"""The ingest loop: drain the inbox in batches, commit, then ack to the broker and confirm to gateways."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloud.ingest.batch import Batch, classify
from cloud.ingest.isolate import refused, write_isolating
from cloud.ingest.link import CloudLink, Inbound
from cloud.ingest.store import IngestStore, WriteResult
from mqtt.codec import encode
from mqtt.envelope import utcnow
from mqtt.messages import EventsStored
from mqtt.topics import Kind, Topic

log = logging.getLogger(__name__)
Listener = Callable[[WriteResult], None]
TelemetryListener = Callable[[list[Any]], object]
# Ids per events.stored: 800 ids of up to 64 characters stay under a gateway's 64 KiB payload limit.
CONFIRM_IDS = 800
# Payload bytes per transaction: a message may carry a batch of events (mqtt.batch), so messages
# alone do not bound a transaction; 2 MB is about 8,000 events of ~250 bytes.
BATCH_BYTES = 2_000_000


@dataclass
class IngestCounters:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0
    failed_batches: int = 0
    dead_lettered: int = 0  # events the database refused, stored as dead letters


class IngestService:
    def __init__(self, link: CloudLink, store: IngestStore, *, batch_max: int = 2000,
                 batch_bytes: int = BATCH_BYTES, batch_wait_s: float = 0.02,
                 source: str = "posada-cloud") -> None:
        self.link = link
        self.store = store
        self.batch_max = batch_max
        self.batch_bytes = batch_bytes
        self.batch_wait_s = batch_wait_s
        self.source = source
        self.counters = IngestCounters()
        self.listeners: list[Listener] = []
        self.on_telemetry: TelemetryListener | None = None  # QoS 0 readings, handed off unblocking
        self._stop = threading.Event()
        # Two stages, so that the next batch is received and classified while this one commits:
        # one classified batch waits at most (acks still follow commits, in order).
        self._classified: queue.Queue[tuple[list[Inbound], Batch]] = queue.Queue(maxsize=1)
        self._reader = threading.Thread(target=self._read, name="ingest-classify", daemon=True)
        self._thread = threading.Thread(target=self._run, name="ingest", daemon=True)

    def start(self) -> None:
        self._reader.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._reader.join(timeout=10)
        self._thread.join(timeout=10)

    def _read(self) -> None:
        while not self._stop.is_set():
            items = self._next_batch()
            if not items:
                continue
            classified = (items, classify([(m.topic, m.payload) for m in items], received_at=utcnow()))
            while not self._stop.is_set():
                try:
                    self._classified.put(classified, timeout=0.2)
                    break
                except queue.Full:
                    continue

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                items, batch = self._classified.get(timeout=0.2)
            except queue.Empty:
                continue
            self._process(items, batch)

    def _next_batch(self) -> list[Inbound]:
        inbox = self.link.inbox
        try:
            first = inbox.get(timeout=0.2)
        except queue.Empty:
            return []
        items = [first]
        size = len(first.payload)
        deadline = time.monotonic() + self.batch_wait_s
        while len(items) < self.batch_max and size < self.batch_bytes:
            try:  # what is there already, without a clock read or a wait per message
                item = inbox.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    item = inbox.get(timeout=remaining)
                except queue.Empty:
                    break
            items.append(item)
            size += len(item.payload)
        return items

    def _process(self, items: list[Inbound], batch: Batch) -> None:
        result = self._write(batch)
        if result is None:
            return  # stopping: unacked messages are redelivered to the next session
        self.link.ack_all(items)
        self._confirm(batch.confirmations())
        self._count(len(items), len(batch.events), len(result.new_events), len(batch.rejected))
        if batch.telemetry and self.on_telemetry is not None:
            self.on_telemetry(batch.telemetry)
        for listener in self.listeners:
            try:
                listener(result)
            except Exception:
                log.exception("ingest listener failed")

    def _write(self, batch: Batch) -> WriteResult | None:
        """Commit the batch. An event the database refuses is isolated and dead-lettered; any
        other failure (the database is away) keeps the batch, unacked, and retries."""
        while not self._stop.is_set():
            try:
                return self.store.write(batch)
            except Exception as error:
                try:
                    if refused(error):
                        result, dead = write_isolating(self.store.write, batch, error)
                        self.counters.dead_lettered += dead
                        log.warning("the database refused %d event(s) of a batch of %d: dead-lettered (%s)",
                                    dead, len(batch.events), error)
                        return result
                except Exception as again:
                    error = again
                self.counters.failed_batches += 1
                log.error("ingest batch of %d failed to commit; retrying: %s", len(batch.events), error)
                time.sleep(1.0)
        return None

    def _confirm(self, by_floor: dict[tuple[str, str], list[str]]) -> None:
        for (site, floor), ids in by_floor.items():
            for start in range(0, len(ids), CONFIRM_IDS):
                env = encode(type="events.stored", source=self.source,
                             data=EventsStored(ids=ids[start:start + CONFIRM_IDS]))
                self.link.publish(str(Topic(Kind.CMD, site, floor)), env.to_json(), qos=1)

    def _count(self, received: int, events: int, new: int, rejected: int) -> None:
        c = self.counters
        c.received += received
        c.stored += new
        c.duplicates += events - new
        c.rejected += rejected
        c.batches += 1
