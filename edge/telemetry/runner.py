"""The gateway's telemetry loop: sensors -> sampler -> pump -> the link, behind the events.

Every ``interval_s`` the pump collects (deadband and maximum interval decide what is due);
about once a second it publishes, but only while the outbox holds no event. While the link
is down the readings go to the backlog, a SQLite file of its own beside the event store,
and drain at ``drain_per_s`` batches a second once it is back.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlite_utils

from edge.telemetry.backlog import TelemetryBacklog
from edge.telemetry.pump import PumpResult, TelemetryPort, TelemetryPump
from edge.telemetry.reported import ReportedSensor
from edge.telemetry.sampling import DrainBudget, SamplingPolicy
from edge.telemetry.sensors import Reading, Sensor

log = logging.getLogger(__name__)
PUBLISH_EVERY_S = 1.0


@dataclass(frozen=True, slots=True)
class TelemetrySettings:
    site: str
    floor: str
    source: str
    backlog_path: Path
    interval_s: float = 10.0
    max_interval_s: float = 300.0
    backlog_bucket_s: int = 60
    backlog_max_rows: int = 50_000
    drain_per_s: float = 5.0
    hold_s: float = 30.0


class TelemetryRunner:
    """Owns the backlog database and the pump; ``report`` takes pushed readings from any thread."""

    def __init__(self, settings: TelemetrySettings, *, rooms: Sequence[str], port: TelemetryPort,
                 now: Callable[[], datetime], events_waiting: Callable[[], int],
                 online: Callable[[], bool]) -> None:
        self.settings = settings
        self._port, self._now = port, now
        self._events_waiting, self._online = events_waiting, online
        settings.backlog_path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(settings.backlog_path), check_same_thread=False)
        self._db = sqlite_utils.Database(conn)
        self._db.execute("PRAGMA journal_mode=WAL")
        self.backlog = TelemetryBacklog(self._db, bucket_s=settings.backlog_bucket_s,
                                        max_rows=settings.backlog_max_rows)
        self._reported = {room: ReportedSensor(room) for room in rooms}
        self._sensors: list[Sensor] = list(self._reported.values())
        self._before_collect: list[Callable[[], None]] = []
        self._pump: TelemetryPump | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last: PumpResult | None = None

    def add_sensor(self, sensor: Sensor, *, before_collect: Callable[[], None] | None = None) -> None:
        """Another source of readings (simulated rooms, the gateway's health); before ``start``."""
        self._sensors.append(sensor)
        if before_collect is not None:
            self._before_collect.append(before_collect)

    @property
    def sensors(self) -> tuple[Sensor, ...]:
        return tuple(self._sensors)

    def report(self, room: str, readings: dict[str, Reading]) -> None:
        self._reported[room].report(readings)

    @property
    def pump(self) -> TelemetryPump:
        if self._pump is None:
            s = self.settings
            burst = max(1, int(s.drain_per_s * 2))
            self._pump = TelemetryPump(
                site=s.site, floor=s.floor, source=s.source, sensors=self._sensors,
                backlog=self.backlog, policy=SamplingPolicy(max_interval_s=s.max_interval_s),
                drain=DrainBudget(rate_per_s=s.drain_per_s, burst=burst), hold_s=s.hold_s)
        return self._pump

    def backlog_depth(self) -> int:
        return self.backlog.depth()

    # --- the loop -------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"telemetry-{self.settings.source}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop; live readings not yet sent are kept in the backlog for next time."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        try:
            self.pump.link_down(self._now())
        finally:
            self._db.close()

    def _loop(self) -> None:
        next_collect = time.monotonic()
        while not self._stop.is_set():
            try:
                if time.monotonic() >= next_collect:
                    next_collect = time.monotonic() + self.settings.interval_s
                    self.collect()
                self.publish()
            except Exception:  # a sensor or the backlog must not end the gateway's telemetry
                log.exception("telemetry tick failed")
            wait = min(PUBLISH_EVERY_S, max(0.0, next_collect - time.monotonic()))
            self._stop.wait(max(0.05, wait))

    def collect(self) -> int:
        for hook in self._before_collect:
            hook()
        return self.pump.collect(self._now())

    def publish(self) -> PumpResult:
        now = self._now()
        if not self._online():
            self.pump.link_down(now)
            self.last = PumpResult(link_down=True)
            return self.last
        self.last = self.pump.publish(now, self._port, events_waiting=self._events_waiting())
        return self.last
