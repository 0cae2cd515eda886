"""The stays' clock: checkouts at the exact hour, blocks released on their date, service tasks ahead."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog.models import Property
from cloud.core.nights import local_today
from cloud.reservations.groups import service as groups
from cloud.reservations.long_stays import service as long_stays
from cloud.reservations.stays import service as stays
from cloud.reservations.stays.guest_history import StayHistory
from cloud.reservations.stays.ledger import StayLedger
from mqtt.envelope import utcnow

log = logging.getLogger(__name__)
TASK_DAYS_AHEAD = 7


class StayClock:
    """A daemon thread running the time-driven jobs every ``period_s`` seconds."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        history: StayHistory | None = None,
        ledger: StayLedger | None = None,
        clock: Callable[[], datetime] = utcnow,
        period_s: float = 20.0,
    ) -> None:
        self.sessions, self.history, self.clock, self.period_s = sessions, history, clock, period_s
        self.ledger = ledger
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="posada-stays", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        while not self.stop_event.is_set():
            self.run_once()
            self.stop_event.wait(self.period_s)

    def run_once(self) -> dict[str, int]:
        """Each job in its own transaction; one failing is logged and the others still run."""
        now, done = self.clock(), {}
        jobs: dict[str, Callable[[Session], int]] = {
            "checked_out": lambda s: len(
                stays.checkout_due(s, now=now, history=self.history, ledger=self.ledger)
            ),
            "rooms_released": lambda s: groups.release_due(s, now=now),
            "tasks_created": lambda s: self._tasks(s, now),
        }
        for name, job in jobs.items():
            try:
                with self.sessions.begin() as session:
                    done[name] = job(session)
            except Exception:  # a bad round is logged and retried next period; the clock lives on
                log.exception("stays job %s failed", name)
        return done

    def _tasks(self, session: Session, now: datetime) -> int:
        made = 0
        for prop in session.scalars(select(Property)):
            until = local_today(now, prop.timezone) + timedelta(days=TASK_DAYS_AHEAD)
            made += long_stays.generate_tasks(session, prop, until=until, now=now)
        return made
