# ruff: noqa: RUF001  (full-width punctuation and the multiplication sign are meant)
"""Telling the people in charge that a request is late: the department's chat on Telegram (the
housekeeping or maintenance chat of the property, else the front desk's) and every manager of the
property by email. Queued once per request on the notification outbox, in the sweeper's transaction."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.auth.models import StaffUser
from cloud.catalog.models import Property
from cloud.notify.outbox import enqueue
from cloud.notify.settings import NotifySettings
from cloud.operations.requests.models import ServiceRequest, ServiceType

TEXTS = {
    "en": (
        "Late request at {hotel}",
        "{what} ×{quantity} for room {room} ({department}) was promised by {due} and is still {state}.",
    ),
    "es": (
        "Petición con retraso en {hotel}",
        "{what} ×{quantity} para la habitación {room} ({department}) "
        "estaba prometida para las {due} y sigue {state}.",
    ),
    "zh": (
        "{hotel}：服务请求已超时",
        "{room} 房的 {what} ×{quantity}（{department}）承诺于 {due} 完成，目前仍为 {state}。",
    ),
}


def department_chat(settings: NotifySettings, *, site: str, department: str) -> str | None:
    """The department head's chat: housekeeping and laundry, maintenance, else the front desk's."""
    if department in ("housekeeping", "laundry"):
        chats = settings.telegram_housekeeping_chats
    elif department == "maintenance":
        chats = settings.telegram_maintenance_chats
    else:
        return settings.telegram_front_desk_chats.get(site)
    return chats.get(f"{site}/*") or settings.telegram_front_desk_chats.get(site)


def notify_late(session: Session, row: ServiceRequest, *, settings: NotifySettings, now: datetime) -> int:
    """Queue the late notice for the department's chat and the managers; returns how many were queued."""
    prop = session.get(Property, row.property_id)
    kind = session.get(ServiceType, row.type_id)
    if prop is None or kind is None:
        return 0
    language = settings.notify_staff_language if settings.notify_staff_language in TEXTS else "en"
    subject, body = TEXTS[language]
    local_due = row.due_at.astimezone(ZoneInfo(prop.timezone))
    values = {
        "hotel": prop.name,
        "what": kind.names.get(language) or kind.names.get("en") or kind.code,
        "quantity": row.quantity,
        "room": row.room or "—",
        "department": row.department,
        "due": f"{local_due:%H:%M}",
        "state": row.state,
    }
    text, title = body.format(**values), subject.format(**values)
    queued = 0
    chat = department_chat(settings, site=prop.slug, department=row.department)
    if chat is not None:
        queued += enqueue(
            session,
            channel="telegram",
            recipient=chat,
            template="request_late",
            language=language,
            payload={"text": f"{title}: {text}", "params": []},
            dedupe_key=f"request-late:{row.id}:chat",
            now=now,
            site=prop.slug,
        )
    managers = session.scalars(
        select(StaffUser).where(
            StaffUser.site == prop.slug,
            StaffUser.role == "manager",
            StaffUser.active.is_(True),
            StaffUser.email.is_not(None),
        )
    )
    for manager in managers:
        assert manager.email is not None
        queued += enqueue(
            session,
            channel="email",
            recipient=manager.email,
            template="request_late",
            language=language,
            payload={"text": text, "subject": title, "params": [], "attachments": []},
            dedupe_key=f"request-late:{row.id}:{manager.id}",
            now=now,
            site=prop.slug,
        )
    return queued
