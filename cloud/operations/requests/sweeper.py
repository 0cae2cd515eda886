"""The background loop that escalates service requests past their promised time."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.audit import audit
from cloud.core.clock import Clock
from cloud.core.periodic import Periodic
from cloud.notify.settings import NotifySettings
from cloud.operations.requests.escalation import notify_late
from cloud.operations.requests.service import escalate_late


class LateRequestSweeper:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Clock,
        notify: NotifySettings,
        interval_s: float = 30.0,
    ) -> None:
        self.sessions, self.clock, self.notify = sessions, clock, notify
        self._periodic = Periodic(self.run_once, interval_s=interval_s, name="late-requests",
                                  done="escalated %d late service requests")

    def run_once(self) -> int:
        """Escalate what is late now: the department's chat and the managers are told (once, with the
        escalation), and each escalation is audited."""
        with self.sessions.begin() as session:
            now = self.clock()
            rows = escalate_late(session, now=now)
            for row in rows:
                told = notify_late(session, row, settings=self.notify, now=now)
                audit(
                    session,
                    "system:late-requests",
                    "service_request.escalate",
                    "service_request",
                    row.id,
                    {"department": row.department, "notified": told},
                )
            return len(rows)

    def start(self) -> None:
        self._periodic.start()

    def stop(self) -> None:
        self._periodic.stop()
