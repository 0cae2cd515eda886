"""Room board API: floors, rooms, gateways, access log, and the live stream (SSE)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from cloud.api.deps import RuntimeDep, SessionDep
from cloud.board import queries
from cloud.board.queries import EventView, FloorView

router = APIRouter(prefix="/api/v1", tags=["board"])
SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"


@router.get("/board", response_model=list[FloorView])
def get_board(session: SessionDep, site: str | None = Query(default=None, pattern=SLUG)) -> list[FloorView]:
    return queries.board(session, site=site)


@router.get("/rooms/{site}/{floor}/{room}/events", response_model=list[EventView])
def get_room_events(session: SessionDep, site: str, floor: str, room: str,
                    limit: int = Query(default=100, ge=1, le=1000)) -> list[EventView]:
    return queries.room_events(session, site=site, floor=floor, room=room, limit=limit)


@router.get("/credentials/{credential_id}/events", response_model=list[EventView])
def get_credential_events(session: SessionDep, credential_id: str,
                          limit: int = Query(default=100, ge=1, le=1000)) -> list[EventView]:
    """The access log of one keycard: every decision at every door."""
    return queries.credential_events(session, credential_id=credential_id, limit=limit)


@router.get("/events/recent", response_model=list[EventView])
def get_recent_events(session: SessionDep, limit: int = Query(default=50, ge=1, le=500)) -> list[EventView]:
    return queries.recent_events(session, limit=limit)


@router.get("/ingest")
def get_ingest(session: SessionDep, runtime: RuntimeDep) -> dict[str, object]:
    counters = runtime.ingest.counters.__dict__ if runtime.ingest else {}
    return {"events_stored": queries.event_count(session), "counters": counters,
            "rejections": queries.rejection_counts(session)}


@router.get("/board/stream", response_class=StreamingResponse)
async def stream_board(request: Request, runtime: RuntimeDep) -> StreamingResponse:
    """Server-sent events: ``room`` and ``gateway`` changes as they are stored."""

    async def events() -> AsyncIterator[str]:
        entry = runtime.hub.subscribe()
        try:
            yield "retry: 2000\n\n"
            while not await request.is_disconnected():
                try:
                    yield await asyncio.wait_for(entry[1].get(), timeout=15)
                except TimeoutError:
                    yield ": keep-alive\n\n"
        finally:
            runtime.hub.unsubscribe(entry)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
