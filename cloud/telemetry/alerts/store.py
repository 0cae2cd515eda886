"""Alerts and maintenance tasks in the database, applied from a pure plan in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cloud.telemetry.alerts.notify import TITLES, AlertNotice
from cloud.telemetry.alerts.rules import AlertKey, AlertKind, Finding, Observed, Snapshot, plan, utc
from cloud.telemetry.models import Alert, MaintenanceTask, RoomTelemetryLatest


@dataclass
class AlertChanges:
    opened: list[AlertNotice] = field(default_factory=list)
    closed: list[AlertNotice] = field(default_factory=list)
    seen_again: int = 0


def _notice(alert: Alert) -> AlertNotice:
    return AlertNotice(alert.id, alert.kind, alert.site, alert.floor, alert.subject, alert.detail,
                       utc(alert.opened_at), utc(alert.closed_at) if alert.closed_at else None)


def _key(alert: Alert) -> AlertKey:
    return AlertKey(AlertKind(alert.kind), alert.site, alert.floor, alert.subject)


class AlertStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def apply(self, findings: Mapping[AlertKey, Finding], now: datetime) -> AlertChanges:
        """Open, refresh and close alerts. A concurrent evaluator that opened the same alert
        first makes this one retry, and then it sees the alert as already open."""
        for attempt in range(3):
            try:
                return self._apply_once(findings, now)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _apply_once(self, findings: Mapping[AlertKey, Finding], now: datetime) -> AlertChanges:
        changes = AlertChanges()
        with self._sessions.begin() as session:
            open_rows = {_key(a): a for a in session.scalars(
                select(Alert).where(Alert.closed_at.is_(None)).with_for_update())}
            steps = plan(open_rows, findings)
            for finding in steps.still_open:
                row = open_rows[finding.key]
                row.last_seen_at, row.detail, row.seen = now, finding.detail, row.seen + 1
                changes.seen_again += 1
            for key in steps.to_close:
                row = open_rows[key]
                row.closed_at = max(now, utc(row.opened_at))
                self._clear_task(session, row)
                changes.closed.append(_notice(row))
            for finding in steps.to_open:
                changes.opened.append(self._open(session, finding, now))
        return changes

    @staticmethod
    def _open(session: Session, finding: Finding, now: datetime) -> AlertNotice:
        key = finding.key
        alert = Alert(kind=key.kind.value, site=key.site, floor=key.floor, subject=key.subject,
                      detail=finding.detail, opened_at=now, last_seen_at=now, seen=1)
        session.add(alert)
        session.flush()
        session.add(MaintenanceTask(
            alert_id=alert.id, site=key.site, floor=key.floor, room=key.subject,
            title=f"{TITLES.get(key.kind.value, key.kind.value)}: {finding.detail}"[:200],
            status="open", created_at=now))
        return _notice(alert)

    @staticmethod
    def _clear_task(session: Session, alert: Alert) -> None:
        task = session.scalar(select(MaintenanceTask).where(MaintenanceTask.alert_id == alert.id))
        if task is not None and task.status == "open":
            task.status, task.closed_at = "cleared", alert.closed_at

    def open_alerts(self) -> list[Alert]:
        with self._sessions() as session:
            return list(session.scalars(
                select(Alert).where(Alert.closed_at.is_(None)).order_by(Alert.id)))


def load_snapshots(sessions: sessionmaker[Session]) -> list[Snapshot]:
    """The latest readings of every room as the rules see them."""
    with sessions() as session:
        rows = session.scalars(select(RoomTelemetryLatest)).all()
        return [Snapshot(row.site, row.floor, row.room, {
            key: Observed(kept["v"], datetime.fromisoformat(kept["at"]),
                          datetime.fromisoformat(kept["since"]),
                          datetime.fromisoformat(kept["rising"]) if kept.get("rising") else None)
            for key, kept in (row.readings or {}).items()}) for row in rows]
