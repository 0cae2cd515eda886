"""One alert evaluation: latest readings -> rules -> alerts and tasks -> notifications."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError
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


class AlertLoop:
    """Runs ``monitor.tick`` every ``interval_s`` on a thread of its own until stopped."""

    def __init__(self, monitor: AlertMonitor, *, interval_s: float,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._monitor = monitor
        self._interval_s = interval_s
        self._clock = clock or (lambda: datetime.now(UTC))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="telemetry-alerts", daemon=True)
        self.failures = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self._monitor.tick(self._clock())
            except SQLAlchemyError:  # the database is away; the next tick tries again
                self.failures += 1
                log.exception("alert evaluation failed")
