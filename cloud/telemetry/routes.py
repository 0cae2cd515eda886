"""Telemetry API: latest readings per room, alerts, and the maintenance tasks they open.

Every answer is limited to the properties the caller may see (``cloud.auth.scope``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from cloud.auth.audit import audit
from cloud.auth.scope import SiteScopeDep
from cloud.core.db import ROW_ID_MAX
from cloud.core.deps import SessionDep
from cloud.telemetry import queries
from cloud.telemetry.queries import AlertView, RoomTelemetryView, TaskStatus, TaskView

router = APIRouter(prefix="/api/v1", tags=["telemetry"])
SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"


class TaskChange(BaseModel):
    status: TaskStatus


@router.get("/telemetry/rooms", response_model=list[RoomTelemetryView])
def get_latest(session: SessionDep, scope: SiteScopeDep, site: str | None = Query(default=None, pattern=SLUG),
               floor: str | None = Query(default=None, pattern=SLUG)) -> list[RoomTelemetryView]:
    return queries.latest(session, sites=scope.narrow(site), floor=floor)


@router.get("/telemetry/alerts", response_model=list[AlertView])
def get_alerts(session: SessionDep, scope: SiteScopeDep, open: bool = True,
               site: str | None = Query(default=None, pattern=SLUG),
               limit: int = Query(default=200, ge=1, le=1000)) -> list[AlertView]:
    return queries.alerts(session, open_only=open, sites=scope.narrow(site), limit=limit)


@router.get("/maintenance/tasks", response_model=list[TaskView])
def get_tasks(session: SessionDep, scope: SiteScopeDep, status: TaskStatus | None = None,
              site: str | None = Query(default=None, pattern=SLUG),
              limit: int = Query(default=200, ge=1, le=1000)) -> list[TaskView]:
    return queries.tasks(session, sites=scope.narrow(site), status=status, limit=limit)


@router.patch("/maintenance/tasks/{task_id}", response_model=TaskView)
def patch_task(session: SessionDep, scope: SiteScopeDep, task_id: Annotated[int, Path(ge=1, le=ROW_ID_MAX)],
               change: TaskChange) -> TaskView:
    with session.begin():
        view = queries.set_task_status(session, task_id, status=change.status,
                                       sites=scope.sites, now=datetime.now(UTC))
        audit(session, scope.principal, f"maintenance_task.{change.status}", "maintenance_task", str(task_id),
              {"status": change.status, "room": f"{view.site}/{view.floor}/{view.room}"}, site=view.site)
        return view
