"""The background loop that escalates service requests past their promised time."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.audit import audit
from cloud.core.clock import Clock
from cloud.operations.requests.service import escalate_late

log = logging.getLogger(__name__)


class LateRequestSweeper:
    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock, interval_s: float = 30.0) -> None:
        self.sessions, self.clock, self.interval_s = sessions, clock, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Escalate what is late now; each escalation is audited."""
        with self.sessions.begin() as session:
            rows = escalate_late(session, now=self.clock())
            for row in rows:
                audit(
                    session,
                    "system:late-requests",
                    "service_request.escalate",
                    "service_request",
                    row.id,
                    {"department": row.department},
                )
            return len(rows)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="late-requests", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                late = self.run_once()
            except Exception:  # a failed round is logged; the next one tries again
                log.exception("escalating late service requests")
                continue
            if late:
                log.info("escalated %d late service requests", late)
