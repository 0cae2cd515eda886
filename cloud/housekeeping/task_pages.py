"""The housekeeper's list of the day on a tablet: own tasks first, start and finish with a tap."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.deps import require_role
from cloud.auth.roles import Principal, Role
from cloud.auth.scope import SiteScopeDep
from cloud.catalog.models import Property
from cloud.core.deps import ClockDep, DbSession
from cloud.core.errors import DomainError
from cloud.core.nights import local_today
from cloud.core.templating import templates
from cloud.housekeeping import daily_tasks
from cloud.i18n.labels import N_

router = APIRouter(prefix="/housekeeping/tasks", include_in_schema=False)
Cleaner = Annotated[
    Principal, require_role(Role.HOUSEKEEPING, Role.MANAGER, Role.CHAIN_ADMIN, Role.FRONT_DESK)
]
KINDS = {
    "departure": N_("Departure clean"),
    "stayover": N_("Stay-over clean"),
    "inspection": N_("Inspection"),
    "turndown": N_("Turndown"),
}


def _today(db: Session, site: str, now: datetime) -> date:
    zone = db.scalar(select(Property.timezone).where(Property.slug == site)) or "UTC"
    return local_today(now, zone)


def _page(
    request: Request,
    db: Session,
    user: Principal,
    site: str,
    now_day: date,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    tasks = daily_tasks.tasks_of(db, site=site, day=now_day)
    mine = [t for t in tasks if t.assignee == user.username]
    others = [t for t in tasks if t.assignee != user.username]
    return templates.TemplateResponse(
        request,
        "housekeeping/tasks.html",
        {
            "active": "housekeeping",
            "site": site,
            "mine": mine,
            "others": others,
            "kinds": KINDS,
            "error": error,
        },
        status_code=status,
    )


@router.get("", response_class=HTMLResponse)
def day_list(
    request: Request, db: DbSession, user: Cleaner, scope: SiteScopeDep, clock: ClockDep
) -> HTMLResponse:
    sites = scope.narrow()
    if not sites:
        return HTMLResponse("", status_code=403)
    today = _today(db, sites[0], clock())
    return _page(request, db, user, sites[0], today)


@router.post("/{site}/{task_id}", response_model=None)
async def act(
    request: Request,
    db: DbSession,
    user: Cleaner,
    scope: SiteScopeDep,
    clock: ClockDep,
    site: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")],
    task_id: Annotated[str, Path(max_length=26)],
) -> Response:
    scope.check(site)
    action = str((await request.form()).get("action", ""))
    try:
        if action not in ("start", "finish"):
            raise daily_tasks.TaskRefused("unknown action")
        task = daily_tasks.step(
            db, site=site, task_id=task_id, action=action, actor=user.username, now=clock()
        )
    except DomainError as exc:
        db.rollback()
        today = _today(db, site, clock())
        return _page(request, db, user, site, today, error=exc.detail, status=exc.status)
    audit(
        db,
        user,
        f"housekeeping.task_{action}",
        "housekeeping_task",
        task.id,
        {"minutes": task.minutes},
        site=site,
    )
    return RedirectResponse("/housekeeping/tasks", status_code=303)
