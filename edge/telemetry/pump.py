"""The telemetry pump the gateway's MQTT link drives.

``collect(now)`` reads every sensor and keeps what the deadband lets through. ``publish``
sends it on the room's telemetry topic (QoS 0) through a port, but only when no event waits
in the outbox: events always go first. Whatever cannot go (link down, events waiting too
long) is downsampled into the backlog, which drains later at a bounded rate.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from edge.telemetry.backlog import BacklogRow, TelemetryBacklog
from edge.telemetry.errors import SensorError
from edge.telemetry.sampling import DrainBudget, Sampler, SamplingPolicy
from edge.telemetry.sensors import Reading, Sensor
from mqtt.envelope import Envelope
from mqtt.messages import Telemetry, TelemetrySample
from mqtt.topics import Kind, Topic

log = logging.getLogger(__name__)
TELEMETRY_TYPE = "room.telemetry"


class TelemetryPort(Protocol):
    def publish_telemetry(self, topic: str, payload: bytes) -> bool:
        """Hand a QoS 0 message to the broker link; False when the link is down."""
        ...


@dataclass(frozen=True, slots=True)
class TelemetryBatch:
    topic: str
    payload: bytes
    room: str
    backlog_ids: tuple[int, ...] = ()  # rows to forget once sent; empty for live readings


@dataclass
class PumpResult:
    live: int = 0
    backlog: int = 0
    held: bool = False  # events were waiting, nothing went
    link_down: bool = False


@dataclass
class _Live:
    samples: list[tuple[datetime, dict[str, Reading]]] = field(default_factory=list)


class TelemetryPump:
    def __init__(self, *, site: str, floor: str, source: str, sensors: Sequence[Sensor],
                 backlog: TelemetryBacklog, policy: SamplingPolicy | None = None,
                 drain: DrainBudget | None = None, hold_s: float = 30.0,
                 samples_per_batch: int = 100) -> None:
        self._site, self._floor, self._source = site, floor, source
        self._sensors = list(sensors)
        self._backlog = backlog
        self._sampler = Sampler(policy)
        self._drain = drain or DrainBudget(rate_per_s=5.0, burst=10)
        self._hold_s = hold_s
        self._samples_per_batch = max(1, min(samples_per_batch, 1000))
        self._live: dict[str, _Live] = {}
        self._lock = threading.RLock()  # a sampling tick and the link's thread may both call in
        self.sensor_errors = 0

    def collect(self, now: datetime) -> int:
        """Read every sensor; returns how many readings passed the deadband."""
        with self._lock:
            return self._collect(now)

    def _collect(self, now: datetime) -> int:
        passed = 0
        for sensor in self._sensors:
            try:
                values = sensor.read()
            except SensorError as exc:
                self.sensor_errors += 1
                log.warning("telemetry sensor failed: %s", exc, extra={"room": sensor.room})
                continue
            due = self._sampler.offer(sensor.room, values, now)
            if due:
                samples = self._live.setdefault(sensor.room, _Live()).samples
                samples.append((now, due))
                if len(samples) > self._samples_per_batch:
                    self._backlog.keep(sensor.room, *samples.pop(0))
                passed += len(due)
        return passed

    def pending_batches(self, now: datetime, limit: int) -> list[TelemetryBatch]:
        """Live readings first (one batch per room), then backlog within the drain budget."""
        with self._lock:
            return self._pending(now, limit)

    def _pending(self, now: datetime, limit: int) -> list[TelemetryBatch]:
        batches = [self._live_batch(room, live) for room, live in self._live.items()][:limit]
        room_left = limit - len(batches)
        if room_left > 0 and len(batches) == len(self._live):
            rows = self._backlog.oldest(room_left * self._samples_per_batch)
            backlog_batches = self._backlog_batches(rows)
            allowed = self._drain.take(now, min(room_left, len(backlog_batches)))
            batches += backlog_batches[:allowed]
        return batches

    def publish(self, now: datetime, port: TelemetryPort, *, events_waiting: int = 0,
                limit: int = 50) -> PumpResult:
        """Send what is due unless events wait; spill what cannot go into the backlog."""
        with self._lock:
            return self._publish(now, port, events_waiting=events_waiting, limit=limit)

    def _publish(self, now: datetime, port: TelemetryPort, *, events_waiting: int,
                 limit: int) -> PumpResult:
        result = PumpResult()
        if events_waiting > 0:
            result.held = True
            self._spill_older_than(now, self._hold_s)
            return result
        for batch in self._pending(now, limit):
            if not port.publish_telemetry(batch.topic, batch.payload):
                result.link_down = True
                self._spill_older_than(now, 0.0)
                break
            self._sent(batch, result)
        return result

    def link_down(self, now: datetime) -> None:
        """The broker is unreachable: everything live goes to the backlog."""
        with self._lock:
            self._spill_older_than(now, 0.0)

    def backlog_depth(self) -> int:
        return self._backlog.depth()

    def _sent(self, batch: TelemetryBatch, result: PumpResult) -> None:
        if batch.backlog_ids:
            self._backlog.forget(list(batch.backlog_ids))
            result.backlog += 1
        else:
            self._live.pop(batch.room, None)
            result.live += 1

    def _spill_older_than(self, now: datetime, seconds: float) -> None:
        for room in list(self._live):
            live = self._live[room]
            if (now - live.samples[0][0]).total_seconds() >= seconds:
                for at, readings in live.samples:
                    self._backlog.keep(room, at, readings)
                del self._live[room]

    def _live_batch(self, room: str, live: _Live) -> TelemetryBatch:
        if len(live.samples) == 1:
            at, readings = live.samples[0]
            data = Telemetry(room=room, readings=readings)
        else:
            at = live.samples[-1][0]
            data = Telemetry(room=room, samples=[
                TelemetrySample(at=t, readings=r) for t, r in live.samples])
        return TelemetryBatch(self._topic(room), self._payload(data, at), room)

    def _backlog_batches(self, rows: list[BacklogRow]) -> list[TelemetryBatch]:
        by_room: dict[str, list[BacklogRow]] = {}
        for row in rows:
            by_room.setdefault(row.room, []).append(row)
        batches = []
        for room, room_rows in by_room.items():
            for start in range(0, len(room_rows), self._samples_per_batch):
                chunk = room_rows[start:start + self._samples_per_batch]
                data = Telemetry(room=room, samples=[
                    TelemetrySample(at=r.at, readings=r.readings) for r in chunk])
                batches.append(TelemetryBatch(self._topic(room), self._payload(data, chunk[-1].at),
                                              room, tuple(r.id for r in chunk)))
        return batches

    def _topic(self, room: str) -> str:
        return str(Topic(Kind.TELEMETRY, self._site, self._floor, room))

    def _payload(self, data: Telemetry, at: datetime) -> bytes:
        envelope = Envelope(type=TELEMETRY_TYPE, source=self._source, ts=at,
                            data=data.model_dump(mode="json", exclude_none=True))
        return envelope.to_json()
