"""Portal pages: the live room board, limited to the properties the reader may see."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cloud.auth.deps import require_role
from cloud.auth.roles import Role
from cloud.auth.scope import SiteScopeDep
from cloud.board import queries
from cloud.core.deps import SessionDep
from cloud.core.templating import templates
from cloud.i18n.catalog import DEFAULT
from cloud.portal.tiles import TileCache

router = APIRouter(include_in_schema=False)


# each room's tile rendered once per row, language and zone (``cloud.portal.tiles``)
tiles = TileCache(lambda **context: templates.get_template("board_room.html").render(**context))


@router.get("/", response_class=HTMLResponse)
def room_board(request: Request, session: SessionDep, scope: SiteScopeDep) -> HTMLResponse:
    sites = scope.narrow()
    gateways, rooms = queries.board_tiles(session, sites=sites)
    events = queries.recent_events(session, sites=sites, limit=15)
    principal = getattr(request.state, "principal", None)
    floors = tiles.floors(gateways, rooms, lang=getattr(request.state, "lang", DEFAULT),
                          time_zone=principal.time_zone if principal else "UTC")
    return templates.TemplateResponse(request, "board.html", {"floors": floors, "events": events})


@router.get("/rooms/{site}/{floor}/{room}", response_class=HTMLResponse)
def room_page(request: Request, session: SessionDep, scope: SiteScopeDep, site: str, floor: str,
              room: str) -> HTMLResponse:
    """A room's access log and its door and occupancy history."""
    scope.check(site)
    events = queries.room_events(session, site=site, floor=floor, room=room, limit=200)
    return templates.TemplateResponse(request, "room.html",
                                      {"site": site, "floor": floor, "room": room, "events": events})


@router.get("/events/dead-letters", response_class=HTMLResponse,
            dependencies=[require_role(Role.MAINTENANCE, Role.MANAGER, Role.CHAIN_ADMIN)])
def dead_letter_page(request: Request, session: SessionDep, scope: SiteScopeDep) -> HTMLResponse:
    """Events the cloud stored without acting on them, each with its reason."""
    events = queries.dead_letters(session, sites=scope.narrow(), limit=200)
    return templates.TemplateResponse(request, "dead_letters.html", {"events": events})
