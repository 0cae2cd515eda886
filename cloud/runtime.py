"""The cloud's running parts, built by the app factory and shared through ``app.state``."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from cloud.board.live import LiveHub
from cloud.broker.embedded import EmbeddedBroker
from cloud.commands.publisher import CommandPublisher
from cloud.core.config import Settings
from cloud.ingest.link import CloudLink
from cloud.ingest.service import IngestService

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Any]
    hub: LiveHub = field(default_factory=LiveHub)
    broker: EmbeddedBroker | None = None
    link: CloudLink | None = None
    ingest: IngestService | None = None
    publisher: CommandPublisher | None = None
    background: list[Any] = field(default_factory=list)  # running loops, stopped first
    loops: list[Any] = field(default_factory=list)  # loops to start with the app (start()/stop())
    event_hooks: list[Any] = field(default_factory=list)  # run inside each ingest transaction
    keyring: Any = None  # () -> the property's signing keys, sent to gateways as they come online

    @property
    def mqtt_url(self) -> str | None:
        if self.settings.mqtt_url:
            return self.settings.mqtt_url
        return self.broker.url if self.broker else None

    def start_embedded_broker(self) -> None:
        port = self.settings.embedded_broker_port
        if _port_in_use(port):
            raise RuntimeError(
                f"port {port} is taken, so the embedded broker cannot start; set POSADA_MQTT_URL to use "
                f"that broker or POSADA_EMBEDDED_BROKER_PORT to another port"
            )
        self.broker = EmbeddedBroker(port=port)
        self.broker.start()

    def stop(self) -> None:
        for part in (*reversed(self.background), self.publisher, self.ingest, self.link, self.broker):
            if part is not None:
                try:
                    part.stop()
                except Exception:
                    log.exception("stopping %s", type(part).__name__)
        self.engine.dispose()


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
