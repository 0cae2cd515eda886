"""Notifications in the app: the WhatsApp webhook, the outbox loop and the housekeeping hook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from cloud.notify import failed_routes, routes
from cloud.notify.ingest_hook import housekeeping_hook
from cloud.notify.runner import NotifyLoop, Reminders, build_worker
from cloud.notify.settings import NotifySettings

if TYPE_CHECKING:
    from cloud.services import Services


def build_loop(sessions: sessionmaker[Session], settings: NotifySettings, *,
               reminders: Reminders) -> NotifyLoop:
    """The outbox loop with real senders where configured, simulated twins otherwise."""
    return NotifyLoop(build_worker(sessions, settings), sessions=sessions, notify=settings,
                      reminders=reminders)


def install(app: FastAPI, services: Services) -> None:
    """The webhook routes; vacated rooms reach housekeeping inside the ingest transaction that
    stores the event."""
    app.include_router(routes.router)
    app.include_router(failed_routes.api)
    app.include_router(failed_routes.pages)
    services.event_hooks.append(housekeeping_hook(services.settings.notify))
