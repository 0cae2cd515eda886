"""Notifications in the app: the WhatsApp webhook, the outbox loop and the housekeeping hook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.clock import Clock
from cloud.notify import routes
from cloud.notify.ingest_hook import housekeeping_hook
from cloud.notify.runner import NotifyLoop, build_worker
from cloud.notify.settings import NotifySettings

if TYPE_CHECKING:
    from cloud.services import Services


def build_context(sessions: sessionmaker[Session], settings: NotifySettings, *,
                  clock: Clock) -> routes.NotifyContext:
    return routes.NotifyContext(sessions=sessions, settings=settings, clock=clock)


def install(app: FastAPI, services: Services) -> None:
    """The webhook routes; the outbox loop starts with the app; vacated rooms reach housekeeping
    inside the ingest transaction that stores the event."""
    app.include_router(routes.router)
    settings = services.settings
    services.workers.append(NotifyLoop(build_worker(services.sessions, settings.notify),
                                       sessions=services.sessions, billing=settings.billing,
                                       notify=settings.notify))
    services.event_hooks.append(housekeeping_hook(settings.notify))
