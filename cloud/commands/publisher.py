"""Publishes stored commands (QoS 1) until each is acknowledged; retries unacked ones."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import sessionmaker

from cloud.commands.models import Command
from mqtt.codec import encode
from mqtt.envelope import utcnow
from mqtt.messages import COMMAND_MODELS
from mqtt.topics import Kind, Topic

if TYPE_CHECKING:  # ingest marks commands acknowledged; the publisher only uses its link
    from cloud.ingest.link import CloudLink

log = logging.getLogger(__name__)


class CommandPublisher:
    def __init__(self, link: CloudLink, sessions: sessionmaker[Any], *, source: str = "posada-cloud",
                 interval_s: float = 0.5, retry_after_s: float = 30.0) -> None:
        self.link = link
        self.sessions = sessions
        self.source = source
        self.interval_s = interval_s
        self.retry_after = timedelta(seconds=retry_after_s)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="commands", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def poke(self) -> None:
        """Publish now rather than at the next interval (after enqueueing a command)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            if self.link.connected.is_set():
                try:
                    self.publish_due()
                except Exception:
                    log.exception("publishing commands failed")

    def publish_due(self, limit: int = 500) -> int:
        now = utcnow()
        with self.sessions.begin() as session:
            due = session.scalars(
                select(Command)
                .where(Command.acked_at.is_(None),
                       or_(Command.sent_at.is_(None), Command.sent_at < now - self.retry_after))
                .order_by(Command.created_at).limit(limit)
            ).all()
            for command in due:
                model = COMMAND_MODELS[command.type]
                env = encode(type=command.type, source=self.source, id=command.id,
                             data=model.model_validate(command.data))
                self.link.publish(str(Topic(Kind.CMD, command.site, command.floor)), env.to_json(), qos=1)
                command.sent_at = now
                command.attempts += 1
        return len(due)
