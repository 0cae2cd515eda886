"""What the MQTT ingest calls for each batch of decoded telemetry messages.

Telemetry is QoS 0: nothing will resend it, and nothing may hold up events. A write that
fails is retried a few times with a short backoff, then the batch is counted as lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from cloud.telemetry.errors import TelemetryWriteError
from cloud.telemetry.latest import LatestStore
from cloud.telemetry.points import TelemetryItem, TelemetryPoint, all_points
from cloud.telemetry.settings import TelemetrySettings
from mqtt.codec import Rejections

log = logging.getLogger(__name__)


class TelemetrySink(Protocol):
    def write(self, points: list[TelemetryPoint]) -> int: ...


@dataclass
class IngestCounters:
    messages: int = 0
    points: int = 0
    lost_batches: int = 0
    retried_writes: int = 0


class TelemetryIngest:
    def __init__(self, sinks: Sequence[TelemetrySink], *, rejections: Rejections | None = None,
                 retries: int = 3, backoff_s: float = 0.2,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._sinks = list(sinks)
        self.rejections = rejections or Rejections()
        self._retries, self._backoff_s, self._sleep = retries, backoff_s, sleep
        self.counters = IngestCounters()
        self._counting = threading.Lock()  # a worker's writer threads share the counters

    def ingest(self, items: Sequence[TelemetryItem]) -> int:
        """Write a batch (the MQTT ingest's ``Batch.telemetry``) to every sink; returns the
        number of points made from it."""
        return self.write_points(all_points(items, self.rejections), messages=len(items))

    def write_points(self, points: list[TelemetryPoint], *, messages: int) -> int:
        """Write points already made (the telemetry worker decodes to points directly)."""
        with self._counting:
            self.counters.messages += messages
            self.counters.points += len(points)
        for sink in self._sinks:
            self._write(sink, points)
        return len(points)

    def _write(self, sink: TelemetrySink, points: list[TelemetryPoint]) -> None:
        for attempt in range(self._retries + 1):
            try:
                sink.write(points)
                return
            except TelemetryWriteError as exc:
                if exc.permanent or attempt == self._retries:
                    with self._counting:
                        self.counters.lost_batches += 1
                    log.error("telemetry batch lost (%d points): %s", len(points), exc,
                              extra={"sink": type(sink).__name__})
                    return
                with self._counting:
                    self.counters.retried_writes += 1
                self._sleep(self._backoff_s * (2 ** attempt))


def build_sinks(settings: TelemetrySettings,
                sessions: sessionmaker[Session] | None) -> list[TelemetrySink]:
    """InfluxDB when configured; the latest values in the database when asked or when no
    InfluxDB is configured (the portal shows them then)."""
    sinks: list[TelemetrySink] = []
    if settings.influx_url:
        from cloud.telemetry.influx import InfluxSink

        sinks.append(InfluxSink(url=settings.influx_url, org=settings.influx_org,
                                bucket=settings.influx_bucket, token=settings.influx_token,
                                timeout_ms=settings.influx_timeout_ms))
    if sessions is not None and (settings.telemetry_keep_latest or not settings.influx_url):
        sinks.append(LatestStore(sessions))
    return sinks


def telemetry_ingest(settings: TelemetrySettings,
                     sessions: sessionmaker[Session] | None) -> TelemetryIngest:
    """The ingest the cloud's MQTT ingest hands ``Batch.telemetry`` to."""
    return TelemetryIngest(build_sinks(settings, sessions))
