"""Staff attendance under /api/v1/properties/{site}: staff cards, the weekly report, its CSV export."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from cloud.auth.audit import audit
from cloud.auth.deps import require_role
from cloud.auth.roles import Principal, Role
from cloud.auth.scope import SiteScopeDep
from cloud.core.deps import ClockDep, ServicesDep, SessionsDep
from cloud.operations.attendance import service
from cloud.operations.attendance.hours import week_start
from cloud.operations.errors import InvalidOperation
from cloud.operations.facilities.api import signer_of
from cloud.operations.schemas import SLUG

router = APIRouter(prefix="/api/v1/properties/{site}", tags=["attendance"])
Site = Annotated[str, Path(pattern=SLUG)]
Manager = Annotated[Principal, require_role(Role.MANAGER, Role.CHAIN_ADMIN)]
Week = Annotated[str, Query(pattern=r"^\d{4}-W\d{2}$")]


class StaffCardBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    shift_start: time = time(8)


def monday_of(text: str) -> datetime:
    try:
        return datetime.combine(week_start(text), time(0))
    except ValueError:
        raise InvalidOperation(f"no ISO week {text}") from None


@router.post("/staff-cards", status_code=201)
def issue(
    site: Site,
    body: StaffCardBody,
    user: Manager,
    scope: SiteScopeDep,
    sessions: SessionsDep,
    services: ServicesDep,
    clock: ClockDep,
) -> dict[str, Any]:
    """A staff card (kind staff, areas by role) to encode at the desk; punches at the time clocks."""
    scope.check(site)
    with sessions.begin() as session:
        row = service.issue_card(
            session,
            site=site,
            username=body.username,
            shift_start=body.shift_start,
            signer=signer_of(services),
            now=clock(),
        )
        audit(
            session,
            user,
            "staff_card.issue",
            "staff_card",
            row.credential_id,
            {"username": row.username},
            site=site,
        )
        return {
            "credential_id": row.credential_id,
            "username": row.username,
            "areas": row.areas,
            "valid_until": row.valid_until.isoformat(),
            "card": row.card,
        }


@router.post("/staff-cards/{credential_id}/revoke")
def revoke(
    site: Site,
    credential_id: Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")],
    user: Manager,
    scope: SiteScopeDep,
    sessions: SessionsDep,
    clock: ClockDep,
) -> dict[str, Any]:
    scope.check(site)
    with sessions.begin() as session:
        row = service.revoke_card(session, site=site, credential_id=credential_id, now=clock())
        audit(session, user, "staff_card.revoke", "staff_card", row.credential_id, {}, site=site)
        return {
            "credential_id": row.credential_id,
            "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
        }


@router.get("/attendance")
def week_json(
    site: Site, week: Week, user: Manager, scope: SiteScopeDep, sessions: SessionsDep
) -> list[dict[str, Any]]:
    """Per person: minutes worked, late days, days with a missing punch."""
    scope.check(site)
    with sessions() as session:
        rows = service.week_report(session, site=site, monday=monday_of(week))
    return [
        {
            "person": r.person,
            "minutes": r.minutes,
            "hours": r.hours,
            "late": [d.isoformat() for d in r.late],
            "missing": [d.isoformat() for d in r.missing],
        }
        for r in rows
    ]


@router.get("/attendance.csv", response_class=Response)
def week_csv(site: Site, week: Week, user: Manager, scope: SiteScopeDep, sessions: SessionsDep) -> Response:
    """The same, for payroll."""
    scope.check(site)
    with sessions() as session:
        rows = service.week_report(session, site=site, monday=monday_of(week))
    return Response(
        service.report_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="attendance-{site}-{week}.csv"'},
    )
