"""Composition root of the cloud: settings in, a FastAPI app with its running parts out."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from cloud.api import health
from cloud.auth import api as auth_api
from cloud.auth import pages as auth_pages
from cloud.auth import staff_pages
from cloud.auth.deps import require_role
from cloud.auth.roles import ROOM_ROLES
from cloud.auth.settings import AuthSettings
from cloud.auth.wiring import install_auth
from cloud.billing import install as billing_install
from cloud.board import routes as board_routes
from cloud.board.notify import BoardNotifier
from cloud.cards.wiring import install_cards
from cloud.commands.publisher import CommandPublisher
from cloud.core.config import Settings
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.errors import install_problem_handlers
from cloud.core.migrate import upgrade
from cloud.guests import api as guests_api
from cloud.guests import pages as guests_pages
from cloud.guests.context import install_guests
from cloud.guests.settings import GuestSettings
from cloud.housekeeping import pages as housekeeping_pages
from cloud.i18n.jinja import install_i18n
from cloud.ingest.link import CloudLink
from cloud.ingest.service import IngestService
from cloud.ingest.store import IngestStore
from cloud.keys.distribution import KeyDistributor
from cloud.notify.maintenance import MaintenanceAlertNotifier
from cloud.notify.settings import NotifySettings
from cloud.portal import routes as portal_routes
from cloud.portal.templating import templates
from cloud.reservations.wiring import install_reservations
from cloud.runtime import Runtime
from cloud.telemetry import pages as maintenance_pages
from cloud.telemetry import routes as telemetry_routes
from cloud.telemetry.alerts.monitor import AlertLoop, AlertMonitor
from cloud.telemetry.handoff import TelemetryHandoff
from cloud.telemetry.ingest import telemetry_ingest
from cloud.telemetry.settings import TelemetrySettings

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "portal" / "static"


def build_runtime(settings: Settings) -> Runtime:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return Runtime(settings=settings, engine=engine, sessions=make_sessionmaker(engine))


def start_alerts(runtime: Runtime) -> None:
    """Telemetry alerts become maintenance tasks and a message to the floor's maintenance chat."""
    settings = TelemetrySettings()
    notifier = MaintenanceAlertNotifier(runtime.sessions, NotifySettings())
    monitor = AlertMonitor(runtime.sessions, thresholds=settings.thresholds(), notifier=notifier)
    loop = AlertLoop(monitor, interval_s=settings.alert_interval_s)
    loop.start()
    runtime.background.append(loop)


def start_mqtt(runtime: Runtime) -> None:
    """Broker (embedded unless a URL is set), link, ingest and command publisher."""
    settings = runtime.settings
    if not settings.mqtt_url:
        runtime.start_embedded_broker()
    url = runtime.mqtt_url
    assert url is not None
    runtime.link = CloudLink(url, client_id=settings.mqtt_client_id, share_group=settings.mqtt_share_group)
    store = IngestStore(runtime.engine)
    store.event_hooks.extend(runtime.event_hooks)
    runtime.ingest = IngestService(runtime.link, store, batch_max=settings.ingest_batch_max,
                                   batch_wait_s=settings.ingest_batch_wait_ms / 1000)
    runtime.ingest.listeners.append(BoardNotifier(runtime.hub, runtime.sessions))
    telemetry = TelemetryHandoff(telemetry_ingest(TelemetrySettings(), runtime.sessions))
    telemetry.start()
    runtime.background.append(telemetry)
    runtime.ingest.on_telemetry = telemetry.submit
    runtime.publisher = CommandPublisher(runtime.link, runtime.sessions)
    if runtime.keyring is not None:
        runtime.ingest.listeners.append(
            KeyDistributor(runtime.sessions, runtime.keyring, wake=runtime.publisher.poke))
    runtime.ingest.start()
    runtime.publisher.start()
    runtime.link.start()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        for loop in runtime.loops:
            loop.start()
            runtime.background.append(loop)
        if settings.mqtt_enabled:
            start_mqtt(runtime)
            start_alerts(runtime)
        try:
            yield
        finally:
            runtime.stop()

    app = FastAPI(title="Posada", version="0.1.0", lifespan=lifespan, openapi_url="/openapi.json",
                  description="Hotel management: reservations, stays, rooms, doors and billing.")
    app.state.runtime = runtime
    install_problem_handlers(app)
    install_auth(app, settings=AuthSettings(secret_key=settings.secret_key), sessions=runtime.sessions,
                 templates=templates)
    install_i18n(app, templates)
    install_guests(app, GuestSettings(secret_key=settings.secret_key))
    install_cards(app)
    install_reservations(app, settings)
    for router in (auth_api.router, auth_pages.router, staff_pages.router, guests_api.router,
                   guests_pages.router):
        app.include_router(router)
    notify_loop, housekeeping = billing_install.install(app, sessions=runtime.sessions)
    runtime.loops.append(notify_loop)
    runtime.event_hooks.append(housekeeping)
    app.include_router(health.router)
    app.include_router(board_routes.router, dependencies=[require_role(*ROOM_ROLES)])
    app.include_router(telemetry_routes.router, dependencies=[require_role(*ROOM_ROLES)])
    app.include_router(portal_routes.router, dependencies=[require_role(*ROOM_ROLES)])
    app.include_router(housekeeping_pages.router)
    app.include_router(maintenance_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
