"""The cloud's page of what property nodes did offline that waits for staff (or that a rule
resolved), each with what to do; a held one is marked handled once staff did it by hand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from cloud.auth.audit import audit
from cloud.auth.deps import require_role
from cloud.auth.roles import GUEST_DATA_ROLES, Principal
from cloud.auth.scope import SiteScopeDep
from cloud.core.deps import ClockDep, DbSession, SessionDep
from cloud.core.templating import templates
from cloud.node.advice import RULES
from cloud.node.conflicts import Action
from cloud.node.models import NodeOutcome
from cloud.node.store import findings_for_staff

router = APIRouter(prefix="/nodes", include_in_schema=False)
Desk = Annotated[Principal, require_role(*GUEST_DATA_ROLES)]
Site = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Event = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,64}$")]


@router.get("/conflicts", response_class=HTMLResponse)
def conflicts_page(request: Request, session: SessionDep, scope: SiteScopeDep, user: Desk) -> HTMLResponse:
    rows = [(site, row) for site in scope.narrow() for row in findings_for_staff(session, site=site)]
    waiting = [(site, r) for site, r in rows if r.action == Action.HOLD.value and r.resolved_at is None]
    other = [(site, r) for site, r in rows if (site, r) not in waiting]
    return templates.TemplateResponse(
        request,
        "node/conflicts.html",
        {"active": "nodes", "waiting": waiting, "other": other, "rules": RULES},
    )


@router.post("/{site}/conflicts/{event_id}/resolved", response_model=None)
def mark_handled(
    session: DbSession, user: Desk, scope: SiteScopeDep, clock: ClockDep, site: Site, event_id: Event
) -> Response:
    scope.check(site)
    row = session.scalar(
        select(NodeOutcome).where(NodeOutcome.site == site, NodeOutcome.event_id == event_id)
    )
    if row is not None and row.action == Action.HOLD.value and row.resolved_at is None:
        row.resolved_at = clock()
        audit(session, user, "node_conflict.resolve", "node_outcome", event_id, {"node": row.node}, site=site)
    return RedirectResponse("/nodes/conflicts", status_code=303)
