"""The desk agent's loop: wait for a job, encode it, report, and keep going through outages."""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass

from edge.desk.client import CloudError, DeskClient, Job
from edge.desk.encoder import EncodeResult, check_card, encode
from edge.hw.nfc import NfcReader

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AgentSettings:
    wait_s: float = 25.0  # long-poll length
    tag_timeout_s: float = 20.0  # how long a clerk has to lay the card on the reader
    backoff_min_s: float = 1.0
    backoff_max_s: float = 30.0
    report_for_s: float = 120.0  # keep trying to send a result this long


class CardTray:
    """What happens around a job at the reader; the simulated desk lays a blank card down here."""

    def job_started(self, job: Job) -> None: ...

    def job_finished(self, job: Job, result: EncodeResult) -> None: ...


class DeskAgent:
    def __init__(
        self,
        client: DeskClient,
        reader: NfcReader,
        *,
        settings: AgentSettings = AgentSettings(),
        tray: CardTray | None = None,
    ) -> None:
        self.client, self.reader, self.settings = client, reader, settings
        self.tray = tray or CardTray()
        self.stop_event = threading.Event()
        self.encoded = 0
        self.failed = 0
        self.waiting = False  # in the long poll, holding no job: a stop may cut it short
        self._last_uid: bytes | None = None

    def run(self) -> None:
        """Until ``stop()``: long-poll, encode, report; cloud outages back off from 1 s to 30 s."""
        delay = self.settings.backoff_min_s
        while not self.stop_event.is_set():
            try:
                self.waiting = True
                job = self.client.next_job(wait_s=self.settings.wait_s)
            except CloudError as exc:
                log.warning("no job: %s; retrying in %.1f s", exc, delay)
                self.stop_event.wait(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, self.settings.backoff_max_s)
                continue
            finally:
                self.waiting = False
            delay = self.settings.backoff_min_s
            if job is not None:
                self.handle(job)

    def stop(self) -> None:
        self.stop_event.set()

    def handle(self, job: Job) -> EncodeResult:
        self.tray.job_started(job)
        card = job.card_bytes()
        refusal = check_card(card, credential_id=job.credential_id)
        if refusal is not None:
            result = EncodeResult(reason="bad_card", detail=refusal[:200])
        else:
            log.info("job %s: lay a card on the reader for room %s, guest %d", job.id, job.room, job.guest)
            result = encode(self.reader, card, timeout_s=self.settings.tag_timeout_s, not_uid=self._last_uid)
        if result.ok:
            self.encoded += 1
            self._last_uid = bytes.fromhex(result.uid or "")
            log.info("job %s: card %s encoded on tag %s", job.id, job.credential_id, result.uid)
        else:
            self.failed += 1
            log.warning("job %s: %s (%s)", job.id, result.reason, result.detail)
        self.tray.job_finished(job, result)
        self._report(job, result)
        return result

    def _report(self, job: Job, result: EncodeResult) -> None:
        """Send the result until the cloud has it, refuses it (its deadline passed), or
        ``report_for_s`` is over. Timed by this machine's monotonic clock: a desk PC whose wall
        clock is off must still report."""
        delay = self.settings.backoff_min_s
        deadline = time.monotonic() + self.settings.report_for_s
        while not self.stop_event.is_set() and time.monotonic() < deadline:
            try:
                state = self.client.report(job.id, result)
                log.info("job %s: the cloud recorded %s", job.id, state)
                return
            except CloudError as exc:
                if not exc.retry:
                    log.error("job %s: result refused: %s", job.id, exc)
                    return
                log.warning("job %s: result not sent: %s; retrying in %.1f s", job.id, exc, delay)
                self.stop_event.wait(delay)
                delay = min(delay * 2, self.settings.backoff_max_s)
        log.error(
            "job %s: the result could not be sent (the cloud expects it by %s)",
            job.id,
            job.result_by.isoformat(),
        )
