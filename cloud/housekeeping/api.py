"""Housekeeping tasks under /api/v1/properties/{site}/housekeeping: the day's list, generating it,
the floors each housekeeper covers, starting and finishing a task (minutes recorded)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from cloud.auth.audit import audit
from cloud.auth.deps import require_role
from cloud.auth.roles import Principal, Role
from cloud.auth.scope import SiteScopeDep
from cloud.core.deps import ClockDep, SessionsDep
from cloud.housekeeping import daily_tasks
from cloud.housekeeping.models import HousekeepingTask

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
router = APIRouter(prefix="/api/v1/properties/{site}/housekeeping", tags=["housekeeping"])
Site = Annotated[str, Path(pattern=SLUG)]
Cleaner = Annotated[
    Principal, require_role(Role.HOUSEKEEPING, Role.MANAGER, Role.CHAIN_ADMIN, Role.FRONT_DESK)
]
Manager = Annotated[Principal, require_role(Role.MANAGER, Role.CHAIN_ADMIN)]


class DayBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: date


class FloorsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    floors: list[Annotated[str, Field(pattern=SLUG)]] = Field(max_length=64)


def task_json(t: HousekeepingTask) -> dict[str, Any]:
    return {
        "id": t.id,
        "floor": t.floor,
        "room": t.room,
        "day": t.day.isoformat(),
        "kind": t.kind,
        "source": t.source,
        "state": t.state,
        "assignee": t.assignee,
        "expected_minutes": t.expected_minutes,
        "minutes": t.minutes,
    }


@router.get("/tasks")
def list_tasks(
    site: Site,
    user: Cleaner,
    scope: SiteScopeDep,
    sessions: SessionsDep,
    day: date,
    assignee: Annotated[str | None, Query(max_length=100)] = None,
) -> list[dict[str, Any]]:
    scope.check(site)
    with sessions() as session:
        return [task_json(t) for t in daily_tasks.tasks_of(session, site=site, day=day, assignee=assignee)]


@router.post("/tasks/generate", status_code=201)
def generate(
    site: Site, body: DayBody, user: Manager, scope: SiteScopeDep, sessions: SessionsDep
) -> list[dict[str, Any]]:
    """The day's tasks from the stays (again: only what is missing is added)."""
    scope.check(site)
    with sessions.begin() as session:
        rows = daily_tasks.generate(session, site=site, day=body.day)
        audit(
            session, user, "housekeeping.tasks_generated", "property", site, {"count": len(rows)}, site=site
        )
        return [task_json(t) for t in rows]


@router.put("/roster/{username}")
def set_floors(
    site: Site,
    username: Annotated[str, Path(max_length=100)],
    body: FloorsBody,
    user: Manager,
    scope: SiteScopeDep,
    sessions: SessionsDep,
) -> dict[str, Any]:
    scope.check(site)
    with sessions.begin() as session:
        row = daily_tasks.set_floors(session, site=site, username=username, floors=body.floors)
        audit(session, user, "housekeeping.roster", "staff", username, {"floors": row.floors}, site=site)
        return {"username": username, "floors": row.floors}


@router.post("/tasks/{task_id}/{action}")
def step(
    site: Site,
    task_id: Annotated[str, Path(max_length=26)],
    action: Literal["start", "finish"],
    user: Cleaner,
    scope: SiteScopeDep,
    sessions: SessionsDep,
    clock: ClockDep,
) -> dict[str, Any]:
    scope.check(site)
    with sessions.begin() as session:
        task = daily_tasks.step(
            session, site=site, task_id=task_id, action=action, actor=user.username, now=clock()
        )
        audit(
            session,
            user,
            f"housekeeping.task_{action}",
            "housekeeping_task",
            task.id,
            {"minutes": task.minutes},
            site=site,
        )
        return task_json(task)
