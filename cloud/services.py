"""The cloud's running parts, built once by the app factory and handed to each area.

One typed object instead of attributes scattered over ``app.state``: every area's ``install``
receives it and takes the parts it needs; request dependencies reach it through
:func:`cloud.core.deps.services`. Background workers start with the app and stop with it.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field
from typing import Protocol

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.context import AuthContext
from cloud.billing.context import BillingContext
from cloud.board.live import LiveHub
from cloud.broker.embedded import EmbeddedBroker
from cloud.channels.context import ChannelContext
from cloud.commands.publisher import CommandPublisher
from cloud.core.clock import Clock
from cloud.guests.context import GuestContext
from cloud.guestweb.context import GuestWebContext
from cloud.ingest.link import CloudLink
from cloud.ingest.service import IngestService
from cloud.ingest.store import EventHook
from cloud.keys.storage import KeyDirectory
from cloud.notify.routes import NotifyContext
from cloud.reservations.sales.guest_match import GuestMatcher
from cloud.reservations.stays.credentials import CredentialIssuer
from cloud.reservations.stays.guest_history import StayHistory
from cloud.reservations.stays.ledger import StayLedger
from cloud.reservations.stays.panels import StayPanel
from cloud.reservations.stays.rooms import RoomMoved
from cloud.settings import Settings

log = logging.getLogger(__name__)


class Worker(Protocol):
    """A background loop that starts and stops with the app."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    auth: AuthContext
    guests: GuestContext
    keys: KeyDirectory
    issuer: CredentialIssuer
    history: StayHistory
    billing: BillingContext
    ledger: StayLedger
    notify: NotifyContext
    hub: LiveHub = field(default_factory=LiveHub)
    workers: list[Worker] = field(default_factory=list)  # started with the app, in this order
    event_hooks: list[EventHook] = field(default_factory=list)  # run inside each ingest transaction
    stay_panels: dict[str, StayPanel] = field(default_factory=dict)  # sections of the stay page
    background: list[Worker] = field(default_factory=list)  # running now, stopped in reverse
    broker: EmbeddedBroker | None = None
    link: CloudLink | None = None
    ingest: IngestService | None = None
    publisher: CommandPublisher | None = None
    channels: ChannelContext | None = None  # the channel manager (cloud/channels)
    guestweb: GuestWebContext | None = None  # the public guest pages
    matcher: GuestMatcher | None = None  # bookings find their guest's profile (cloud/loyalty)
    move_hooks: list[RoomMoved] = field(default_factory=list)  # what follows a stay to its new room

    @property
    def mqtt_url(self) -> str | None:
        if self.settings.mqtt_url:
            return self.settings.mqtt_url
        return self.broker.url if self.broker else None

    def run(self, worker: Worker) -> None:
        worker.start()
        self.background.append(worker)

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
        self.background.clear()
        self.engine.dispose()


class PosadaApp(FastAPI):
    """The FastAPI app with its services attached (read by :func:`cloud.core.deps.services`)."""

    services: Services


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
