"""Housekeeping messages from ingested ``room.vacated`` events, inside the ingest transaction.

Appended to ``IngestStore.event_hooks``, the message is queued in the same transaction that
stores the event: both are committed or neither, so no vacated room goes unannounced.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from cloud.ingest.store import EventHook
from cloud.notify.housekeeping import on_room_vacated
from cloud.notify.settings import NotifySettings


def housekeeping_hook(settings: NotifySettings) -> EventHook:
    def hook(conn: Connection, events: list[dict[str, Any]]) -> None:
        vacated = [e for e in events if e.get("type") == "room.vacated" and e.get("room")]
        if not vacated:
            return
        with Session(bind=conn) as session:
            for event in vacated:
                at = event["ts"]
                if isinstance(at, datetime) and at.tzinfo is None:
                    at = at.replace(tzinfo=UTC)
                on_room_vacated(session, site=event["site"], floor=event["floor"],
                                room=event["room"], at=at, settings=settings)
            session.flush()

    return hook
