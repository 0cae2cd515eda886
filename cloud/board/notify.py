"""Turns committed ingest results into live board messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import sessionmaker

from cloud.board.live import LiveHub
from cloud.board.models import Gateway, RoomStatus
from cloud.board.queries import gateway_view, room_view

if TYPE_CHECKING:  # the board listens to ingest; ingest writes the board's tables
    from cloud.ingest.store import WriteResult


class BoardNotifier:
    def __init__(self, hub: LiveHub, sessions: sessionmaker[Any]) -> None:
        self.hub = hub
        self.sessions = sessions

    def __call__(self, result: WriteResult) -> None:
        if not (result.changed_rooms or result.changed_gateways or result.new_events):
            return
        if self.hub.subscriber_count == 0:
            return
        with self.sessions() as session:
            if result.changed_rooms:
                key = tuple_(RoomStatus.site, RoomStatus.floor, RoomStatus.room)
                rows = session.scalars(select(RoomStatus).where(key.in_(list(result.changed_rooms))))
                for row in rows:
                    self.hub.publish("room", room_view(row).model_dump(mode="json"))
            if result.changed_gateways:
                gws = session.scalars(select(Gateway).where(
                    tuple_(Gateway.site, Gateway.floor).in_(list(result.changed_gateways))))
                for gw in gws:
                    self.hub.publish("gateway", gateway_view(gw).model_dump(mode="json"))
        for event in result.new_events[-20:]:
            self.hub.publish("event", {k: event[k] for k in ("id", "site", "floor", "room", "type", "ts")}
                             | {"data": event["data"]})
