"""The department boards for tablets (polled every few seconds) and the desk's form to ask.

A move is a form post that answers the board again: refused moves say why, nothing changes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.deps import require_role
from cloud.auth.roles import HOUSE_ROLES, Principal, Role
from cloud.auth.scope import SiteScopeDep
from cloud.core.deps import ClockDep, DbSession, ServicesDep
from cloud.core.errors import DomainError
from cloud.core.templating import templates
from cloud.i18n.labels import N_
from cloud.operations.requests import service
from cloud.operations.requests.lifecycle import DEPARTMENTS, Move
from cloud.operations.schemas import ID, SLUG

router = APIRouter(prefix="/operations/requests", include_in_schema=False)
Staff = Annotated[Principal, require_role(*HOUSE_ROLES)]
Desk = Annotated[Principal, require_role(Role.FRONT_DESK, Role.MANAGER, Role.CHAIN_ADMIN)]
Site = Annotated[str, Path(pattern=SLUG)]
DEPARTMENT_NAMES = {
    "housekeeping": N_("Housekeeping"),
    "food": N_("Food and beverage"),
    "transport": N_("Transport"),
    "laundry": N_("Laundry"),
    "maintenance": N_("Maintenance"),
    "concierge": N_("Concierge"),
}
STATE_NAMES = {"new": N_("New"), "accepted": N_("Accepted"), "in_progress": N_("In progress")}
MOVE_NAMES = {"accept": N_("Accept"), "start": N_("Start"), "finish": N_("Done"), "cancel": N_("Cancel")}
MOVES_FROM = {
    "new": ("accept", "start", "cancel"),
    "accepted": ("start", "finish", "cancel"),
    "in_progress": ("finish", "cancel"),
}


def _page(
    request: Request,
    db: Session,
    *,
    site: str,
    department: str | None,
    user: Principal,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    rows = service.board(db, site=site, department=department)
    return templates.TemplateResponse(
        request,
        "operations/requests.html",
        {
            "active": "requests",
            "site": site,
            "department": department,
            "rows": rows,
            "error": error,
            "departments": [(d, DEPARTMENT_NAMES[d]) for d in DEPARTMENTS],
            "state_names": STATE_NAMES,
            "move_names": MOVE_NAMES,
            "moves_from": MOVES_FROM,
            "types": service.types_of(db, site=site) if user.role in (Role.FRONT_DESK, Role.MANAGER) else [],
        },
        status_code=status,
    )


def _department(value: str | None) -> str | None:
    return value if value in DEPARTMENTS else None


@router.get("", response_class=HTMLResponse)
def board(
    request: Request,
    db: DbSession,
    user: Staff,
    scope: SiteScopeDep,
    department: Annotated[str | None, Query(max_length=16)] = None,
) -> HTMLResponse:
    sites = scope.narrow()
    if not sites:
        return HTMLResponse("", status_code=403)
    return _page(request, db, site=sites[0], department=_department(department), user=user)


@router.post("/{site}/{request_id}", response_model=None)
async def act(
    request: Request,
    db: DbSession,
    user: Staff,
    scope: SiteScopeDep,
    services: ServicesDep,
    clock: ClockDep,
    site: Site,
    request_id: Annotated[str, Path(pattern=ID)],
) -> Response:
    scope.check(site)
    form = await request.form()
    department = _department(str(form.get("department", "")) or None)
    try:
        to = Move(str(form.get("move", "")))
        row = service.move(
            db,
            site=site,
            request_id=request_id,
            to=to,
            actor=user.username,
            assignee=None,
            billing=services.settings.billing,
            now=clock(),
        )
    except (ValueError, DomainError) as exc:
        db.rollback()
        detail = getattr(exc, "detail", None) or "unknown move"
        return _page(request, db, site=site, department=department, user=user, error=str(detail), status=409)
    audit(db, user, f"service_request.{to.value}", "service_request", row.id, {"state": row.state}, site=site)
    suffix = f"?department={department}" if department else ""
    return RedirectResponse(f"/operations/requests{suffix}", status_code=303)


@router.post("/{site}", response_model=None)
async def ask(
    request: Request, db: DbSession, user: Desk, scope: SiteScopeDep, clock: ClockDep, site: Site
) -> Response:
    """The desk asks for a guest; a refusal shows the board again with the reason."""
    scope.check(site)
    raw = await request.form()
    form: dict[str, Any] = {k: str(raw.get(k, ""))[:400] for k in ("type", "reservation_id", "room", "note")}
    try:
        row = service.ask(
            db,
            site=site,
            actor=user.username,
            now=clock(),
            body=service.Ask(
                type_code=form["type"],
                source="desk",
                reservation_id=form["reservation_id"].strip() or None,
                room=form["room"][:63],
                note=form["note"],
            ),
        )
    except DomainError as exc:
        db.rollback()
        return _page(request, db, site=site, department=None, user=user, error=exc.detail, status=422)
    audit(db, user, "service_request.add", "service_request", row.id, {"type": form["type"]}, site=site)
    return RedirectResponse("/operations/requests", status_code=303)
