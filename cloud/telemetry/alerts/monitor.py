"""One alert evaluation: latest readings -> rules -> alerts and tasks -> notifications."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from cloud.telemetry.alerts.notify import AlertNotice, AlertNotifier
from cloud.telemetry.alerts.rules import Thresholds, evaluate
from cloud.telemetry.alerts.store import AlertChanges, AlertStore, load_snapshots

log = logging.getLogger(__name__)


class AlertMonitor:
    """Run ``tick(now)`` every ``alert_interval_s``; any number of cloud workers may."""

    def __init__(self, sessions: sessionmaker[Session], *, thresholds: Thresholds,
                 notifier: AlertNotifier | None = None) -> None:
        self._sessions = sessions
        self._thresholds = thresholds
        self._store = AlertStore(sessions)
        self._notifier = notifier
        self.notify_failures = 0

    def tick(self, now: datetime) -> AlertChanges:
        findings = evaluate(load_snapshots(self._sessions), thresholds=self._thresholds, now=now)
        changes = self._store.apply(findings, now)
        self._announce(changes)
        return changes

    def _announce(self, changes: AlertChanges) -> None:
        """Notification follows the commit; a failed one is logged, the alert stays."""
        if self._notifier is None:
            return
        for notice in changes.opened:
            self._send(self._notifier.alert_opened, notice)
        for notice in changes.closed:
            self._send(self._notifier.alert_closed, notice)

    def _send(self, call: Callable[[AlertNotice], None], notice: AlertNotice) -> None:
        try:
            call(notice)
        except Exception:  # an adapter's failure must not stop alerting
            self.notify_failures += 1
            log.exception("alert notification failed",
                          extra={"alert_id": notice.alert_id, "kind": notice.kind})
