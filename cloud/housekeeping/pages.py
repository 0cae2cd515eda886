"""The housekeeping board (a tablet page) and its actions, which go to the floor's gateway.

An action is checked against the room's state (``transitions.decide``), enqueued as a
``room.settings`` command in the request's transaction, audited, and remembered as pending
until the gateway's snapshot shows it; the live stream then tells every open board.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from cloud.auth.audit import audit
from cloud.auth.deps import require_role
from cloud.auth.roles import Principal
from cloud.auth.scope import SiteScopeDep
from cloud.commands.outbox import enqueue_command
from cloud.core.deps import DbSession, ServicesDep
from cloud.core.templating import templates
from cloud.housekeeping import queries, transitions
from cloud.housekeeping.models import HousekeepingRequest
from cloud.housekeeping.transitions import ActionRefused
from mqtt.envelope import utcnow
from mqtt.messages import RoomSettings

if TYPE_CHECKING:
    from cloud.services import Services

router = APIRouter(prefix="/housekeeping", include_in_schema=False)
SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
Slug = Annotated[str, Path(pattern=SLUG)]
Viewer = Annotated[Principal, require_role(*transitions.VIEWERS)]
Cleaner = Annotated[Principal, require_role(*transitions.CLEANERS)]


def _page(request: Request, db: Session, user: Principal, sites: list[str], *,
          error: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    """The board; ``error`` names what was refused (``kind``, ``room``, ``state``) for the template."""
    floors = queries.floors(db, sites=sites, now=utcnow())
    return templates.TemplateResponse(request, "housekeeping/board.html", {
        "active": "housekeeping", "floors": floors, "actions": transitions.actions_for(user.role),
        "from_states": {a: sorted(transitions.FROM[a]) for a in transitions.ACTIONS},
        "error": error}, status_code=status)


@router.get("", response_class=HTMLResponse)
def board(request: Request, db: DbSession, user: Viewer, scope: SiteScopeDep) -> HTMLResponse:
    return _page(request, db, user, scope.narrow())


@router.post("/{site}/{floor}/{room}", response_class=HTMLResponse)
async def act(request: Request, db: DbSession, user: Cleaner, scope: SiteScopeDep, services: ServicesDep,
              site: Slug, floor: Slug, room: Slug) -> Response:
    """Start cleaning, mark clean or mark inspected; answers the board again on a refusal."""
    scope.check(site)
    form = await request.form()
    try:
        action = transitions.parse_action(form.get("action"))
    except ValueError:
        return _page(request, db, user, scope.narrow(), error={"kind": "action"}, status=400)
    current = queries.room(db, site=site, floor=floor, room=room)
    if current is None:
        return _page(request, db, user, scope.narrow(), error={"kind": "room", "room": room}, status=404)
    try:
        change = transitions.decide(action, role=user.role, current=current.state, dnd=current.dnd)
    except PermissionError:
        return _page(request, db, user, scope.narrow(), error={"kind": "role", "room": room}, status=403)
    except ActionRefused as exc:
        return _page(request, db, user, scope.narrow(), status=409,
                     error={"kind": exc.reason, "room": room, "state": current.state})
    now = utcnow()
    command_id = enqueue_command(db, site=site, floor=floor, type="room.settings",
                                 data=RoomSettings(room=room, housekeeping=change.after))
    _remember(db, site=site, floor=floor, room=room, state=change.after, user=user, command_id=command_id,
              now=now)
    audit(db, user, f"housekeeping.{action}", "room", f"{site}/{floor}/{room}",
          {"from": change.before, "to": change.after, "command": command_id}, site=site)
    live = {"site": site, "floor": floor, "room": room, "pending": change.after,
            "pending_at": now.isoformat()}
    return RedirectResponse(f"/housekeeping#room-{site}-{floor}-{room}", status_code=303,
                            background=BackgroundTask(_announce, services, live))


def _remember(db: Session, *, site: str, floor: str, room: str, state: str, user: Principal,
              command_id: str, now: datetime) -> None:
    row = db.get(HousekeepingRequest, (site, floor, room))
    if row is None:
        row = HousekeepingRequest(site=site, floor=floor, room=room)
        db.add(row)
    row.state, row.requested_at, row.actor_id, row.command_id = state, now, user.user_id, command_id


def _announce(services: Services, live: dict[str, Any]) -> None:
    """After the commit: wake the command publisher and tell the open boards."""
    if services.publisher is not None:
        services.publisher.poke()
    services.hub.publish("housekeeping", live)
