"""The background loop that releases online bookings whose payment did not arrive in time and
erases pre-check-in ID documents whose retention has ended."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from cloud.core.clock import Clock
from cloud.guests.vault import Vault
from cloud.guestweb.booking import release_due
from cloud.guestweb.precheckin import erase_expired_documents
from cloud.reservations.stays.ledger import StayLedger

log = logging.getLogger(__name__)


class HoldSweeper:
    def __init__(self, sessions: sessionmaker[Session], *, ledger: StayLedger, vault: Vault, clock: Clock,
                 interval_s: float = 30.0) -> None:
        self.sessions, self.ledger, self.clock, self.interval_s = sessions, ledger, clock, interval_s
        self.vault = vault
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        with self.sessions.begin() as session:
            erase_expired_documents(session, self.vault, now=self.clock())
            return release_due(session, ledger=self.ledger, now=self.clock())

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="guestweb-holds", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                released = self.run_once()
            except Exception:  # a failed round is logged; the next one tries again
                log.exception("releasing expired holds")
                continue
            if released:
                log.info("released %d unpaid online bookings", released)
