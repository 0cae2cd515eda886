"""Portal pages: the live room board."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cloud.api.deps import SessionDep
from cloud.board import queries
from cloud.portal.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def room_board(request: Request, session: SessionDep) -> HTMLResponse:
    floors = queries.board(session)
    events = queries.recent_events(session, limit=15)
    return templates.TemplateResponse(request, "board.html", {"floors": floors, "events": events})


@router.get("/rooms/{site}/{floor}/{room}", response_class=HTMLResponse)
def room_page(request: Request, session: SessionDep, site: str, floor: str, room: str) -> HTMLResponse:
    """A room's access log and its door and occupancy history."""
    events = queries.room_events(session, site=site, floor=floor, room=room, limit=200)
    return templates.TemplateResponse(request, "room.html",
                                      {"site": site, "floor": floor, "room": room, "events": events})
