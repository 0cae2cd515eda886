"""Telling the floor's housekeeping chat that a room was vacated (from ``room.vacated``)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from cloud.notify.local_time import local_time
from cloud.notify.outbox import enqueue, image_payload
from cloud.notify.settings import NotifySettings
from cloud.notify.templates import render

log = logging.getLogger(__name__)


def housekeeping_chat(settings: NotifySettings, *, site: str, floor: str) -> str | None:
    chats = settings.telegram_housekeeping_chats
    return chats.get(f"{site}/{floor}") or chats.get(f"{site}/*")


def on_room_vacated(
    session: Session, *, site: str, floor: str, room: str, at: datetime,
    settings: NotifySettings,
) -> bool:
    """Queue the message in the caller's transaction; False if no chat is set or already queued."""
    if at.tzinfo is None:
        raise ValueError("at must be an aware datetime")
    chat = housekeeping_chat(settings, site=site, floor=floor)
    if chat is None:
        log.warning("no housekeeping chat for %s/%s; room %s vacated", site, floor, room)
        return False
    local = local_time(at, site, settings)
    values = {"room": room, "floor": floor, "at": local}
    text = render("room_vacated", settings.notify_staff_language, values)
    return enqueue(
        session, channel="telegram", recipient=chat, template="room_vacated",
        language=text.language, payload=image_payload(text.text, None, text.params),
        dedupe_key=f"room.vacated:{site}:{floor}:{room}:{at.astimezone(UTC).isoformat()}",
        now=datetime.now(UTC), site=site,
    )
