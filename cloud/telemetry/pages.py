"""Maintenance pages: rooms with open alerts, one room's telemetry, alerts and tasks.

Task actions (acknowledge: ``in_progress``; ``done``) follow ``queries.set_task_status`` and
are audited. Maintenance staff see no guest data here: the read models never load any.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from cloud.auth.audit import audit
from cloud.auth.deps import require_role
from cloud.auth.roles import Principal, Role
from cloud.auth.scope import SiteScopeDep
from cloud.core.db import ROW_ID_MAX
from cloud.core.deps import DbSession
from cloud.core.templating import templates
from cloud.telemetry import energy_view, queries, room_view
from cloud.telemetry.errors import TaskTransitionRefused
from cloud.telemetry.queries import TaskStatus
from mqtt.envelope import utcnow

router = APIRouter(prefix="/maintenance", include_in_schema=False)
SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
Slug = Annotated[str, Path(pattern=SLUG)]
MAINTAINERS = frozenset({Role.MAINTENANCE, Role.MANAGER, Role.CHAIN_ADMIN})
Maintainer = Annotated[Principal, require_role(*MAINTAINERS)]
TASK_ACTIONS: dict[str, TaskStatus] = {"acknowledge": "in_progress", "done": "done"}


@router.get("", response_class=HTMLResponse)
def rooms_in_alarm(request: Request, db: DbSession, user: Maintainer, scope: SiteScopeDep) -> HTMLResponse:
    sites = scope.narrow()
    rooms = room_view.rooms_in_alarm(db, sites=sites)
    return templates.TemplateResponse(request, "maintenance/rooms.html", {
        "active": "maintenance", "rooms": rooms, "alert_labels": room_view.ALERT_LABELS,
        "savings": energy_view.floor_savings(db, sites=sites)})


@router.get("/rooms/{site}/{floor}/{room}", response_class=HTMLResponse)
def room(request: Request, db: DbSession, user: Maintainer, scope: SiteScopeDep, site: Slug, floor: Slug,
         room: Slug) -> HTMLResponse:
    scope.check(site)
    page = room_view.room_page(db, site=site, floor=floor, room=room)
    return _room(request, site=site, floor=floor, room=room, page=page)


def _room(request: Request, *, site: str, floor: str, room: str, page: room_view.RoomPage,
          error: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, "maintenance/room.html", {
        "active": "maintenance", "site": site, "floor": floor, "room": room, "page": page,
        "shown": room_view.shown_readings(page.readings), "labels": room_view.SHOWN,
        "alert_labels": room_view.ALERT_LABELS, "error": error}, status_code=status)


@router.post("/tasks/{task_id}", response_class=HTMLResponse)
async def task(request: Request, db: DbSession, user: Maintainer, scope: SiteScopeDep,
               task_id: Annotated[int, Path(ge=1, le=ROW_ID_MAX)]) -> Response:
    """Acknowledge a task (someone is on it) or mark it done; back to the task's room."""
    form = await request.form()
    action = form.get("action")
    status = TASK_ACTIONS.get(action) if isinstance(action, str) else None
    if status is None:
        return PlainTextResponse(f"unknown task action {str(action)[:40]!r}; expected acknowledge or done",
                            status_code=400)
    try:
        view = queries.set_task_status(db, task_id, status=status,
                                       sites=scope.sites, now=utcnow())
    except TaskTransitionRefused:
        db.rollback()
        found = queries.task_of(db, task_id)
        assert found is not None
        page = room_view.room_page(db, site=found.site, floor=found.floor, room=found.room)
        return _room(request, site=found.site, floor=found.floor, room=found.room, page=page,
                     error={"task": str(task_id), "status": found.status}, status=409)
    audit(db, user, f"maintenance_task.{action}", "maintenance_task", str(task_id),
          {"status": status, "room": f"{view.site}/{view.floor}/{view.room}"}, site=view.site)
    return RedirectResponse(f"/maintenance/rooms/{view.site}/{view.floor}/{view.room}#task-{task_id}",
                            status_code=303)
