"""The cloud's side of the node conflicts for staff: what each property node did offline that
waits for them (or was resolved by a rule), and marking one as handled."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Path
from pydantic import BaseModel
from sqlalchemy import select

from cloud.auth.deps import require_role
from cloud.auth.roles import GUEST_DATA_ROLES
from cloud.auth.scope import SiteScopeDep
from cloud.core.deps import ClockDep, DbSession, SessionDep
from cloud.core.errors import Conflict, NotFound
from cloud.node.conflicts import Action
from cloud.node.models import NodeOutcome
from cloud.node.store import findings_for_staff

router = APIRouter(
    prefix="/api/v1/nodes", tags=["property nodes"], dependencies=[require_role(*GUEST_DATA_ROLES)]
)
SITE = Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
EVENT = Path(pattern=r"^[0-9A-Za-z_-]{1,64}$")


class NodeConflictNotFound(NotFound):
    type_ = "/problems/node/conflict-not-found"


class NodeConflictClosed(Conflict):
    type_ = "/problems/node/conflict-closed"


class ConflictView(BaseModel):
    event_id: str
    node: str
    seq: int
    reservation_id: str
    held: bool  # False: applied, a rule resolved it (listed so staff see what differed)
    findings: list[dict[str, Any]]
    resolved_at: datetime | None


@router.get("/{site}/conflicts", response_model=list[ConflictView])
def list_conflicts(session: SessionDep, scope: SiteScopeDep, site: str = SITE) -> list[ConflictView]:
    scope.check(site)
    return [_view(row) for row in findings_for_staff(session, site=site)]


@router.post("/{site}/conflicts/{event_id}/resolved", response_model=ConflictView)
def resolve_conflict(
    session: DbSession, clock: ClockDep, scope: SiteScopeDep, site: str = SITE, event_id: str = EVENT
) -> ConflictView:
    """Staff handled a held operation by hand (moved the online booking, re-booked the guest)."""
    scope.check(site)
    row = session.scalar(
        select(NodeOutcome).where(NodeOutcome.site == site, NodeOutcome.event_id == event_id)
    )
    if row is None:
        raise NodeConflictNotFound(f"no node operation {event_id} at {site}")
    if row.action != Action.HOLD.value or row.resolved_at is not None:
        raise NodeConflictClosed(f"operation {event_id} is not waiting for staff")
    row.resolved_at = clock()
    session.flush()
    return _view(row)


def _view(row: NodeOutcome) -> ConflictView:
    return ConflictView(
        event_id=row.event_id,
        node=row.node,
        seq=row.seq,
        reservation_id=row.reservation_id,
        held=row.action == Action.HOLD.value,
        findings=row.findings,
        resolved_at=row.resolved_at,
    )
