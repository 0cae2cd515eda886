"""The background loop that releases online bookings whose payment did not arrive in time and
erases pre-check-in ID documents whose retention has ended."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.settings import BillingSettings
from cloud.core.clock import Clock
from cloud.core.periodic import Periodic
from cloud.guests.vault import Vault
from cloud.guestweb.booking import release_due
from cloud.guestweb.precheckin import erase_expired_documents
from cloud.guestweb.rate_store import forget_old_counts
from cloud.reservations.stays.ledger import StayLedger


class HoldSweeper:
    def __init__(self, sessions: sessionmaker[Session], *, ledger: StayLedger, vault: Vault, clock: Clock,
                 billing: BillingSettings | None = None, interval_s: float = 30.0) -> None:
        self.sessions, self.ledger, self.clock, self.vault = sessions, ledger, clock, vault
        self.billing = billing
        self._periodic = Periodic(self.run_once, interval_s=interval_s, name="guestweb-holds",
                                  done="released %d unpaid online bookings")

    def run_once(self) -> int:
        with self.sessions.begin() as session:
            erase_expired_documents(session, self.vault, now=self.clock())
            forget_old_counts(session, now=datetime.now(UTC))  # the counts' windows are on the wall clock
            return release_due(session, ledger=self.ledger, now=self.clock(), billing=self.billing)

    def start(self) -> None:
        self._periodic.start()

    def stop(self) -> None:
        self._periodic.stop()
