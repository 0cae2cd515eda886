"""The background loop that escalates service requests past their promised time."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.audit import audit
from cloud.core.clock import Clock
from cloud.core.periodic import Periodic
from cloud.operations.requests.service import escalate_late


class LateRequestSweeper:
    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock, interval_s: float = 30.0) -> None:
        self.sessions, self.clock = sessions, clock
        self._periodic = Periodic(self.run_once, interval_s=interval_s, name="late-requests",
                                  done="escalated %d late service requests")

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
        self._periodic.start()

    def stop(self) -> None:
        self._periodic.stop()
