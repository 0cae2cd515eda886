"""The manager's attendance page: a week's hours, late days and missing punches, and the CSV."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from cloud.auth.deps import require_role
from cloud.auth.roles import Principal, Role
from cloud.auth.scope import SiteScopeDep
from cloud.core.deps import ClockDep, DbSession
from cloud.core.nights import local_today
from cloud.core.templating import templates
from cloud.operations.attendance import service
from cloud.operations.attendance.api import monday_of
from cloud.operations.requests.service import property_of

router = APIRouter(prefix="/operations/attendance", include_in_schema=False)
Manager = Annotated[Principal, require_role(Role.MANAGER, Role.CHAIN_ADMIN)]


@router.get("", response_class=HTMLResponse)
def week_page(
    request: Request,
    db: DbSession,
    user: Manager,
    scope: SiteScopeDep,
    clock: ClockDep,
    week: Annotated[str | None, Query(pattern=r"^\d{4}-W\d{2}$")] = None,
) -> HTMLResponse:
    sites = scope.narrow()
    if not sites:
        return HTMLResponse("", status_code=403)
    zone = property_of(db, sites[0]).timezone
    year, number, _ = local_today(clock(), zone).isocalendar()
    chosen = week or f"{year}-W{number:02d}"
    monday: datetime = monday_of(chosen)
    rows = service.week_report(db, site=sites[0], monday=monday)
    return templates.TemplateResponse(
        request,
        "operations/attendance.html",
        {"active": "attendance", "site": sites[0], "week": chosen, "rows": rows},
    )
