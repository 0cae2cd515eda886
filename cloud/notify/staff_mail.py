"""E-mail to staff through the outbox: the unlock link after failed sign-ins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cloud.notify.outbox import enqueue
from cloud.notify.settings import NotifySettings
from cloud.notify.templates import render


class UnlockMail:
    """``cloud.auth.unlock_link.UnlockMailer`` over the message outbox's e-mail channel."""

    def __init__(self, settings: NotifySettings) -> None:
        self.language = settings.notify_staff_language

    def __call__(self, session: Session, *, address: str, link: str, dedupe_key: str,
                 now: datetime) -> None:
        text = render("staff_unlock", self.language, {"link": link})
        enqueue(session, channel="email", recipient=address, template="staff_unlock",
                language=text.language, payload={"text": text.text, "params": text.params},
                dedupe_key=dedupe_key, now=now)
