"""Read models of the room board: floors with their gateway and rooms."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.board.models import EventRecord, Gateway, Rejection, RoomStatus


class RoomView(BaseModel):
    site: str
    floor: str
    room: str
    occupied: bool
    guest_present: bool
    door: str
    lock: str
    dnd: bool
    housekeeping: str
    last_access_at: datetime | None
    last_access_granted: bool | None
    last_access_reason: str | None
    updated_at: datetime | None


class GatewayView(BaseModel):
    site: str
    floor: str
    state: str
    version: str
    clock_offset_s: float | None
    last_seen: datetime | None


class FloorView(BaseModel):
    site: str
    floor: str
    gateway: GatewayView | None
    rooms: list[RoomView]


class EventView(BaseModel):
    id: str
    site: str
    floor: str
    room: str | None
    type: str
    ts: datetime
    seq: int | None
    credential_id: str | None
    data: dict[str, Any]
    dead_letter: str | None


def room_view(row: RoomStatus) -> RoomView:
    return RoomView.model_validate(row, from_attributes=True)


def gateway_view(row: Gateway) -> GatewayView:
    return GatewayView.model_validate(row, from_attributes=True)


def board(session: Session, *, sites: Collection[str]) -> list[FloorView]:
    """The floors of ``sites`` (the properties the reader may see)."""
    rooms_q = (select(RoomStatus).where(RoomStatus.site.in_(sites))
               .order_by(RoomStatus.site, RoomStatus.floor, RoomStatus.room))
    gateways_q = select(Gateway).where(Gateway.site.in_(sites))
    gateways = {(g.site, g.floor): g for g in session.scalars(gateways_q)}
    floors: dict[tuple[str, str], FloorView] = {}
    for key, gw in sorted(gateways.items()):
        floors[key] = FloorView(site=key[0], floor=key[1], gateway=gateway_view(gw), rooms=[])
    for row in session.scalars(rooms_q):
        key = (row.site, row.floor)
        if key not in floors:
            floors[key] = FloorView(site=row.site, floor=row.floor, gateway=None, rooms=[])
        floors[key].rooms.append(room_view(row))
    return [floors[k] for k in sorted(floors)]


# What a room's tile on the board shows, in the order of ``TILE_FIELDS``.
TILE_FIELDS = ("site", "floor", "room", "occupied", "guest_present", "door", "lock", "dnd", "housekeeping",
               "last_access_at", "last_access_granted", "last_access_reason")


def board_tiles(session: Session, *, sites: Collection[str]) -> tuple[list[Any], list[Any]]:
    """The gateways and the rooms of ``sites`` as plain rows (no ORM objects), rooms in board
    order: two statements for the whole board."""
    if not sites:
        return [], []
    gateways = list(session.execute(
        select(Gateway.site, Gateway.floor, Gateway.state, Gateway.version).where(Gateway.site.in_(sites))))
    rooms = list(session.execute(
        select(*(getattr(RoomStatus, name) for name in TILE_FIELDS)).where(RoomStatus.site.in_(sites))
        .order_by(RoomStatus.site, RoomStatus.floor, RoomStatus.room)))
    return gateways, rooms


def room_events(session: Session, *, site: str, floor: str, room: str, limit: int = 100) -> list[EventView]:
    q = (select(EventRecord)
         .where(EventRecord.site == site, EventRecord.floor == floor, EventRecord.room == room)
         .order_by(EventRecord.ts.desc(), EventRecord.seq.desc()).limit(limit))
    return [EventView.model_validate(e, from_attributes=True) for e in session.scalars(q)]


def credential_events(session: Session, *, credential_id: str, sites: Collection[str],
                      limit: int = 100) -> list[EventView]:
    """A keycard's decisions at the doors of ``sites`` only."""
    q = (select(EventRecord)
         .where(EventRecord.credential_id == credential_id, EventRecord.site.in_(sites))
         .order_by(EventRecord.ts.desc()).limit(limit))
    return [EventView.model_validate(e, from_attributes=True) for e in session.scalars(q)]


def recent_events(session: Session, *, sites: Collection[str], limit: int = 50) -> list[EventView]:
    q = (select(EventRecord).where(EventRecord.site.in_(sites))
         .order_by(EventRecord.received_at.desc(), EventRecord.id.desc()).limit(limit))
    return [EventView.model_validate(e, from_attributes=True) for e in session.scalars(q)]


def dead_letters(session: Session, *, sites: Collection[str], limit: int = 100) -> list[EventView]:
    """Events the cloud kept without acting on them (malformed, unknown or refused by the
    database), newest first. A scan of the events: for the maintenance page, not the board."""
    q = (select(EventRecord).where(EventRecord.site.in_(sites), EventRecord.dead_letter.is_not(None))
         .order_by(EventRecord.received_at.desc(), EventRecord.id.desc()).limit(limit))
    return [EventView.model_validate(e, from_attributes=True) for e in session.scalars(q)]


def event_count(session: Session, *, sites: Collection[str]) -> int:
    query = select(func.count()).select_from(EventRecord).where(EventRecord.site.in_(sites))
    return int(session.scalar(query) or 0)


def rejection_counts(session: Session) -> dict[str, int]:
    return {f"{r.kind}/{r.reason}": r.count for r in session.scalars(select(Rejection))}
