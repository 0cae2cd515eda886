"""Service requests under /api/v1/properties/{site}: types, asking, the board, moves (docs/operations.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from cloud.auth.audit import audit
from cloud.auth.deps import require_role
from cloud.auth.roles import HOUSE_ROLES, Principal, Role
from cloud.auth.scope import SiteScopeDep
from cloud.core.deps import ClockDep, ServicesDep, SessionsDep
from cloud.operations.requests import service
from cloud.operations.requests.lifecycle import Move
from cloud.operations.requests.models import ServiceRequest, ServiceType
from cloud.operations.schemas import ID, SLUG, Department, MoveBody, RequestBody, ServiceTypeBody

router = APIRouter(prefix="/api/v1/properties/{site}", tags=["service requests"])
Site = Annotated[str, Path(pattern=SLUG)]
RequestId = Annotated[str, Path(pattern=ID)]
Staff = Annotated[Principal, require_role(*HOUSE_ROLES)]
Desk = Annotated[Principal, require_role(Role.FRONT_DESK, Role.MANAGER, Role.CHAIN_ADMIN)]
Manager = Annotated[Principal, require_role(Role.MANAGER, Role.CHAIN_ADMIN)]


def type_json(row: ServiceType) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "department": row.department,
        "names": row.names,
        "price_minor": row.price_minor,
        "currency": row.currency,
        "charge_kind": row.charge_kind,
        "promise_minutes": row.promise_minutes,
    }


def request_json(row: ServiceRequest, kind: ServiceType | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id,
        "department": row.department,
        "reservation_id": row.reservation_id,
        "room": row.room,
        "quantity": row.quantity,
        "note": row.note,
        "source": row.source,
        "state": row.state,
        "assignee": row.assignee,
        "due_at": row.due_at.isoformat(),
        "escalated": row.escalated_at is not None,
        "charged_minor": row.charged_minor,
    }
    if kind is not None:
        out["type"] = kind.code
        out["names"] = kind.names
    return out


@router.get("/service-types")
def list_types(site: Site, user: Staff, scope: SiteScopeDep, sessions: SessionsDep) -> list[dict[str, Any]]:
    scope.check(site)
    with sessions() as session:
        return [type_json(t) for t in service.types_of(session, site=site)]


@router.post("/service-types", status_code=201)
def add_type(
    site: Site, body: ServiceTypeBody, user: Manager, scope: SiteScopeDep, sessions: SessionsDep
) -> dict[str, Any]:
    scope.check(site)
    with sessions.begin() as session:
        row = service.add_type(session, site=site, body=service.TypeIn(**body.model_dump()))
        audit(session, user, "service_type.add", "service_type", row.id, {"code": row.code}, site=site)
        return type_json(row)


@router.post("/service-requests", status_code=201)
def ask(
    site: Site, body: RequestBody, user: Desk, scope: SiteScopeDep, sessions: SessionsDep, clock: ClockDep
) -> dict[str, Any]:
    """The desk asks on a guest's behalf (a phone call, a message)."""
    scope.check(site)
    with sessions.begin() as session:
        row = service.ask(
            session,
            site=site,
            actor=user.username,
            now=clock(),
            body=service.Ask(
                type_code=body.type,
                source="desk",
                reservation_id=body.reservation_id,
                room=body.room,
                quantity=body.quantity,
                note=body.note,
            ),
        )
        audit(session, user, "service_request.add", "service_request", row.id, {"type": body.type}, site=site)
        return request_json(row)


@router.get("/service-requests")
def board(
    site: Site,
    user: Staff,
    scope: SiteScopeDep,
    sessions: SessionsDep,
    department: Annotated[Department | None, Query()] = None,
) -> list[dict[str, Any]]:
    """Open requests, the most urgent first (the department's board)."""
    scope.check(site)
    with sessions() as session:
        return [request_json(r, t) for r, t in service.board(session, site=site, department=department)]


@router.post("/service-requests/{request_id}/{move}")
def move(
    site: Site,
    request_id: RequestId,
    move: Move,
    user: Staff,
    scope: SiteScopeDep,
    sessions: SessionsDep,
    services: ServicesDep,
    clock: ClockDep,
    body: MoveBody | None = None,
) -> dict[str, Any]:
    """accept, start, finish (posts the price, tells the guest) or cancel."""
    scope.check(site)
    with sessions.begin() as session:
        row = service.move(
            session,
            site=site,
            request_id=request_id,
            to=move,
            actor=user.username,
            assignee=body.assignee if body else None,
            billing=services.settings.billing,
            now=clock(),
        )
        audit(
            session,
            user,
            f"service_request.{move.value}",
            "service_request",
            row.id,
            {"state": row.state},
            site=site,
        )
        return request_json(row)
