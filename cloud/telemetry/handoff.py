"""Hand telemetry from the event ingest to a thread of its own, so that writing to InfluxDB
never holds up events: ``submit`` returns at once, and sheds whole batches when the writer
falls too far behind (telemetry is QoS 0 and worth less than events)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence

from cloud.telemetry.ingest import TelemetryIngest
from cloud.telemetry.points import TelemetryItem

log = logging.getLogger(__name__)


class TelemetryHandoff:
    def __init__(self, ingest: TelemetryIngest, *, max_pending_batches: int = 100) -> None:
        self.ingest = ingest
        self._queue: queue.Queue[list[TelemetryItem] | None] = queue.Queue(max_pending_batches)
        self._thread = threading.Thread(target=self._run, name="telemetry-ingest", daemon=True)
        self.shed_batches = 0

    def start(self) -> None:
        self._thread.start()

    def submit(self, items: Sequence[TelemetryItem]) -> bool:
        """Queue a batch (``Batch.telemetry``); False when it was shed."""
        if not items:
            return True
        try:
            self._queue.put_nowait(list(items))
            return True
        except queue.Full:
            self.shed_batches += 1
            return False

    def stop(self, *, timeout: float = 30.0) -> None:
        """Write what is queued, then end the thread."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (items := self._queue.get()) is not None:
            try:
                self.ingest.ingest(items)
            except Exception:  # one bad batch must not end telemetry for the process
                log.exception("telemetry batch of %d messages failed", len(items))
