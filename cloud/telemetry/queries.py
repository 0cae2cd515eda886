"""Read models for the portal and API: latest readings, alerts, maintenance tasks."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.telemetry.alerts.rules import utc
from cloud.telemetry.errors import TaskNotFound, TaskTransitionRefused
from cloud.telemetry.models import Alert, MaintenanceTask, RoomTelemetryLatest

TaskStatus = Literal["open", "in_progress", "done", "cleared"]
TRANSITIONS: dict[str, set[str]] = {"open": {"in_progress", "done"}, "in_progress": {"done"}}


class ReadingView(BaseModel):
    value: Any
    at: datetime


class RoomTelemetryView(BaseModel):
    site: str
    floor: str
    room: str
    updated_at: datetime
    readings: dict[str, ReadingView]


class AlertView(BaseModel):
    id: int
    kind: str
    site: str
    floor: str
    subject: str
    detail: str
    opened_at: datetime
    last_seen_at: datetime
    seen: int
    closed_at: datetime | None


class TaskView(BaseModel):
    id: int
    alert_id: int
    site: str
    floor: str
    room: str
    title: str
    status: TaskStatus
    created_at: datetime
    closed_at: datetime | None


def latest(session: Session, *, sites: Collection[str],
           floor: str | None = None) -> list[RoomTelemetryView]:
    """The latest readings of the rooms of ``sites``."""
    query = select(RoomTelemetryLatest).where(RoomTelemetryLatest.site.in_(sites)).order_by(
        RoomTelemetryLatest.site, RoomTelemetryLatest.floor, RoomTelemetryLatest.room)
    if floor:
        query = query.where(RoomTelemetryLatest.floor == floor)
    return [RoomTelemetryView(
        site=r.site, floor=r.floor, room=r.room, updated_at=utc(r.updated_at),
        readings={k: ReadingView(value=v["v"], at=datetime.fromisoformat(v["at"]))
                  for k, v in (r.readings or {}).items()})
        for r in session.scalars(query)]


def alerts(session: Session, *, open_only: bool, sites: Collection[str],
           limit: int = 200) -> list[AlertView]:
    query = (select(Alert).where(Alert.site.in_(sites))
             .order_by(Alert.opened_at.desc(), Alert.id.desc()).limit(limit))
    if open_only:
        query = query.where(Alert.closed_at.is_(None))
    return [AlertView.model_validate(a, from_attributes=True) for a in session.scalars(query)]


def tasks(session: Session, *, sites: Collection[str], status: TaskStatus | None = None,
          limit: int = 200) -> list[TaskView]:
    query = (select(MaintenanceTask).where(MaintenanceTask.site.in_(sites))
             .order_by(MaintenanceTask.id.desc()).limit(limit))
    if status:
        query = query.where(MaintenanceTask.status == status)
    return [TaskView.model_validate(t, from_attributes=True) for t in session.scalars(query)]


def set_task_status(session: Session, task_id: int, *, status: TaskStatus, sites: Collection[str],
                    now: datetime) -> TaskView:
    """Staff take a task or finish it; a finished or cleared task stays so.

    A task of a property outside ``sites`` is answered as unknown (no probing of ids).
    """
    task = session.get(MaintenanceTask, task_id, with_for_update=True)
    if task is None or task.site not in sites:
        raise TaskNotFound(f"no maintenance task {task_id}")
    if status not in TRANSITIONS.get(task.status, set()):
        raise TaskTransitionRefused(f"task {task_id} is {task.status}; it cannot become {status}")
    task.status = status
    if status == "done":
        task.closed_at = max(now, utc(task.created_at))
    session.flush()
    return TaskView.model_validate(task, from_attributes=True)


def task_of(session: Session, task_id: int) -> TaskView | None:
    task = session.get(MaintenanceTask, task_id)
    return None if task is None else TaskView.model_validate(task, from_attributes=True)
