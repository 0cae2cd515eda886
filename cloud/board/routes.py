"""Room board API: floors, rooms, gateways, access log, and the live stream (SSE).

Every answer is limited to the properties the caller may see (``cloud.auth.scope``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from cloud.auth.deps import require_role
from cloud.auth.roles import STAFF_ADMIN_ROLES
from cloud.auth.scope import SiteScopeDep
from cloud.board import queries
from cloud.board.queries import EventView, FloorView
from cloud.core.deps import ServicesDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["board"])
SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"


@router.get("/board", response_model=list[FloorView])
def get_board(session: SessionDep, scope: SiteScopeDep,
              site: str | None = Query(default=None, pattern=SLUG)) -> list[FloorView]:
    return queries.board(session, sites=scope.narrow(site))


@router.get("/rooms/{site}/{floor}/{room}/events", response_model=list[EventView])
def get_room_events(session: SessionDep, scope: SiteScopeDep, site: str, floor: str, room: str,
                    limit: int = Query(default=100, ge=1, le=1000)) -> list[EventView]:
    scope.check(site)
    return queries.room_events(session, site=site, floor=floor, room=room, limit=limit)


@router.get("/credentials/{credential_id}/events", response_model=list[EventView])
def get_credential_events(session: SessionDep, scope: SiteScopeDep, credential_id: str,
                          limit: int = Query(default=100, ge=1, le=1000)) -> list[EventView]:
    """The access log of one keycard: every decision at every door the caller may see."""
    return queries.credential_events(session, credential_id=credential_id,
                                     sites=scope.narrow(), limit=limit)


@router.get("/events/recent", response_model=list[EventView])
def get_recent_events(session: SessionDep, scope: SiteScopeDep,
                      site: str | None = Query(default=None, pattern=SLUG),
                      limit: int = Query(default=50, ge=1, le=500)) -> list[EventView]:
    return queries.recent_events(session, sites=scope.narrow(site), limit=limit)


@router.get("/ingest", dependencies=[require_role(*STAFF_ADMIN_ROLES)])
def get_ingest(session: SessionDep, services: ServicesDep, scope: SiteScopeDep) -> dict[str, object]:
    """Health of the MQTT ingest, for managers and chain administrators.

    ``events_stored`` counts the caller's properties; ``counters`` and ``rejections`` are
    figures of the whole installation (payloads refused before any site could be trusted).
    """
    counters = services.ingest.counters.__dict__ if services.ingest else {}
    return {"events_stored": queries.event_count(session, sites=scope.narrow()), "counters": counters,
            "rejections": queries.rejection_counts(session)}


@router.get("/board/stream", response_class=StreamingResponse)
async def stream_board(request: Request, services: ServicesDep, scope: SiteScopeDep,
                       site: str | None = Query(default=None, pattern=SLUG)) -> StreamingResponse:
    """Server-sent events: ``room``, ``gateway`` and ``event`` changes of visible sites."""
    sites = scope.narrow(site)

    async def events() -> AsyncIterator[str]:
        entry = services.hub.subscribe(sites=sites)
        try:
            yield "retry: 2000\n\n"
            while not await request.is_disconnected():
                try:
                    yield await asyncio.wait_for(entry.get(), timeout=15)
                except TimeoutError:
                    yield ": keep-alive\n\n"
        finally:
            services.hub.unsubscribe(entry)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
