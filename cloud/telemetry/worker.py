"""A standalone telemetry subscriber: ``python -m cloud.telemetry.worker``.

Any number of copies share ``$share/<group>/posada/v1/+/+/rooms/+/telemetry``, so the broker
hands each message to exactly one of them. The network thread (``QoS0Subscriber``: the
PUBLISHes of each socket read parsed in one loop) only queues payloads; a writer thread decodes
them in batches (``TelemetryDecoder``: straight to points) and writes through ``TelemetryIngest``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

from cloud.telemetry.fast_decode import TelemetryDecoder
from cloud.telemetry.ingest import TelemetryIngest
from cloud.telemetry.subscriber import Messages, QoS0Subscriber
from mqtt.topics import PREFIX

log = logging.getLogger(__name__)
TELEMETRY_FILTER = f"{PREFIX}/+/+/rooms/+/telemetry"


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
            raise ValueError(f"not an mqtt://host:port URL: {url!r}")
        return cls(parts.hostname, parts.port or 1883, parts.username, parts.password)


def shared_filter(group: str) -> str:
    return f"$share/{group}/{TELEMETRY_FILTER}" if group else TELEMETRY_FILTER


class TelemetryWorker:
    def __init__(self, ingest: TelemetryIngest, *, broker: BrokerAddress, client_id: str,
                 share_group: str = "telemetry", batch_max: int = 5000,
                 batch_wait_s: float = 0.2, queue_max: int = 200_000, writers: int = 2) -> None:
        """``writers`` threads take batches in turn, so one decodes while another waits for the
        store's answer to its write (the decoder and the sinks are safe to share)."""
        if writers < 1:
            raise ValueError("a telemetry worker needs at least one writer")
        self._ingest = ingest
        self._decoder = TelemetryDecoder(ingest.rejections)
        self._broker = broker
        self._filter = shared_filter(share_group)
        self._batch_max, self._batch_wait_s, self._queue_max = batch_max, batch_wait_s, queue_max
        self._queue: deque[tuple[str, bytes]] = deque()
        self._ready = threading.Condition()
        self._stopping = threading.Event()
        self._subscribed = threading.Event()
        self.received = self.overflow = self.failed_batches = 0
        self.first_received_at: float | None = None  # monotonic, for throughput figures
        self.last_written_at: float | None = None
        self._client = QoS0Subscriber(host=broker.host, port=broker.port, client_id=client_id,
                                      topic_filter=self._filter, on_messages=self._on_messages,
                                      username=broker.username or None, password=broker.password,
                                      on_subscribed=self._subscribed.set)
        self._failures = threading.Lock()
        self._writers = [threading.Thread(target=self._write_loop, name=f"telemetry-writer-{n}",
                                          daemon=True) for n in range(writers)]

    def start(self, *, timeout_s: float = 10.0) -> None:
        """Connect, subscribe and start writing; raises TimeoutError if not subscribed."""
        for writer in self._writers:
            writer.start()
        self._client.start()
        if not self._subscribed.wait(timeout_s):
            self.stop()
            raise TimeoutError(f"no subscription to {self._filter} within {timeout_s} s")

    def stop(self) -> None:
        """Disconnect, then write whatever is still queued."""
        self._client.stop()
        self._stopping.set()
        with self._ready:
            self._ready.notify_all()
        for writer in self._writers:
            writer.join(timeout=30)

    @property
    def ingest(self) -> TelemetryIngest:
        return self._ingest

    @property
    def busy_s(self) -> float:
        """From the first message received to the last batch written."""
        if self.first_received_at is None or self.last_written_at is None:
            return 0.0
        return self.last_written_at - self.first_received_at

    def _on_messages(self, messages: Messages) -> None:
        with self._ready:
            room = self._queue_max - len(self._queue)
            if room < len(messages):
                self.overflow += len(messages) - max(room, 0)  # QoS 0: shedding beats running out of memory
                messages = messages[:max(room, 0)]
            if not messages:
                return
            self._queue.extend(messages)
            if self.first_received_at is None:
                self.first_received_at = time.monotonic()
            self.received += len(messages)
            if len(self._queue) >= self._batch_max:
                self._ready.notify()

    def _take(self) -> list[tuple[str, bytes]]:
        with self._ready:
            if len(self._queue) < self._batch_max and not self._stopping.is_set():
                self._ready.wait(self._batch_wait_s)
            count = min(len(self._queue), self._batch_max)
            return [self._queue.popleft() for _ in range(count)]

    def _write_loop(self) -> None:
        while True:
            batch = self._take()
            if batch:
                self._write(batch)
            elif self._stopping.is_set():
                return

    def _write(self, batch: list[tuple[str, bytes]]) -> None:
        try:
            points, valid = self._decoder.points(batch)
            self._ingest.write_points(points, messages=valid)
        except Exception:  # a bug must cost one batch, never the writer thread
            with self._failures:
                self.failed_batches += 1
            log.exception("telemetry batch of %d messages failed", len(batch))
        self.last_written_at = time.monotonic()
