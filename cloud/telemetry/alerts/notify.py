"""The port alerts are announced through, and a text adapter for chat-style channels."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

log = logging.getLogger(__name__)

TITLES = {
    "door_ajar": "Door left open",
    "temperature_out_of_range": "Temperature out of range",
    "humidity_out_of_range": "Humidity out of range",
    "lock_battery_low": "Lock battery low",
    "door_node_silent": "Door node silent",
    "gateway_offline": "Floor gateway offline",
    "outbox_growing": "Gateway outbox growing",
}


@dataclass(frozen=True, slots=True)
class AlertNotice:
    alert_id: int
    kind: str
    site: str
    floor: str
    subject: str
    detail: str
    opened_at: datetime
    closed_at: datetime | None = None

    @property
    def title(self) -> str:
        return TITLES.get(self.kind, self.kind)

    def text(self) -> str:
        where = f"{self.site} / floor {self.floor} / {self.subject}"
        if self.closed_at is None:
            return f"⚠ {self.title}: {where}. {self.detail}"
        return f"✓ Cleared: {self.title}: {where}."


class AlertNotifier(Protocol):
    def alert_opened(self, notice: AlertNotice) -> None: ...

    def alert_closed(self, notice: AlertNotice) -> None: ...


class TextNotifier:
    """Sends each notice as one line of text, e.g. through the Telegram adapter:
    ``TextNotifier(lambda text: telegram.send_message(chat_id=staff_chat, text=text))``."""

    def __init__(self, send: Callable[[str], object], *, announce_closed: bool = True) -> None:
        self._send = send
        self._announce_closed = announce_closed

    def alert_opened(self, notice: AlertNotice) -> None:
        self._send(notice.text())

    def alert_closed(self, notice: AlertNotice) -> None:
        if self._announce_closed:
            self._send(notice.text())
