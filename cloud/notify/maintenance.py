"""Telemetry alerts to the maintenance chat of their floor, through the durable outbox."""

from __future__ import annotations

import html
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import sessionmaker

from cloud.notify.outbox import enqueue, image_payload
from cloud.notify.settings import NotifySettings
from cloud.telemetry.alerts.notify import AlertNotice

log = logging.getLogger(__name__)


def maintenance_chat(settings: NotifySettings, *, site: str, floor: str) -> str | None:
    chats = settings.telegram_maintenance_chats
    return chats.get(f"{site}/{floor}") or chats.get(f"{site}/*")


class MaintenanceAlertNotifier:
    """An ``AlertNotifier``: one Telegram message when an alert opens and one when it clears."""

    def __init__(self, sessions: sessionmaker[Any], settings: NotifySettings) -> None:
        self.sessions = sessions
        self.settings = settings

    def alert_opened(self, notice: AlertNotice) -> None:
        self._queue(notice, "opened")

    def alert_closed(self, notice: AlertNotice) -> None:
        self._queue(notice, "closed")

    def _queue(self, notice: AlertNotice, what: str) -> None:
        chat = maintenance_chat(self.settings, site=notice.site, floor=notice.floor)
        if chat is None:
            log.warning("no maintenance chat for %s/%s: %s", notice.site, notice.floor, notice.text())
            return
        with self.sessions.begin() as session:
            enqueue(session, channel="telegram", recipient=chat, template="maintenance_alert",
                    language=self.settings.notify_staff_language,
                    payload=image_payload(html.escape(notice.text()), None, []),
                    dedupe_key=f"alert:{notice.alert_id}:{what}", now=datetime.now(UTC), site=notice.site)
