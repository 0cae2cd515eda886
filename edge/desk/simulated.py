"""The simulated desk: a stack of blank NTAG213 cards a clerk lays on the simulated reader per job."""

from __future__ import annotations

import threading

from edge.desk.agent import CardTray
from edge.desk.client import Job
from edge.desk.encoder import EncodeResult
from edge.hw.nfc_sim import SimulatedNtag, SimulatedReader


class SimulatedTray(CardTray):
    """Lays a fresh blank card on the reader after ``delay_s`` and takes it away when done; the
    written tags are kept so a demo or test can tap them at a door."""

    def __init__(self, reader: SimulatedReader, *, delay_s: float = 0.3, model: str = "NTAG213") -> None:
        self.reader, self.delay_s, self.model = reader, delay_s, model
        self.written: list[tuple[Job, SimulatedNtag]] = []
        self._lock = threading.Lock()
        self._current: SimulatedNtag | None = None
        self._timer: threading.Timer | None = None

    def job_started(self, job: Job) -> None:
        tag = SimulatedNtag(self.model)
        timer = threading.Timer(self.delay_s, self.reader.present, args=(tag,))
        timer.daemon = True
        with self._lock:
            self._current, self._timer = tag, timer
        timer.start()

    def job_finished(self, job: Job, result: EncodeResult) -> None:
        with self._lock:
            tag, timer, self._current, self._timer = self._current, self._timer, None, None
        if timer is not None:
            timer.cancel()
        self.reader.remove()
        if result.ok and tag is not None:
            self.written.append((job, tag))
