"""Plugging billing, payments and notifications into the cloud app (one call from the factory)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker

from cloud.billing import pages as billing_pages
from cloud.billing import routes as billing_routes
from cloud.billing import routes_stays as billing_stay_routes
from cloud.billing.context import build_context
from cloud.billing.settings import BillingSettings
from cloud.billing.stay_ledger import FolioLedger
from cloud.notify import routes as notify_routes
from cloud.notify.ingest_hook import EventHook, housekeeping_hook
from cloud.notify.runner import NotifyLoop, build_worker
from cloud.notify.settings import NotifySettings
from cloud.reservations.schedule import StayClock


def install(app: FastAPI, *, sessions: sessionmaker[Any]) -> tuple[NotifyLoop, EventHook]:
    """Routes and contexts on the app; returns the loop to start in the lifespan and the
    hook to append to ``IngestStore.event_hooks``."""
    billing, notify = BillingSettings(), NotifySettings()
    app.state.billing = build_context(sessions, billing)
    app.state.notify = notify_routes.NotifyContext(sessions=sessions, settings=notify)
    app.state.stay_ledger = ledger = FolioLedger(billing)  # stays keep their folios in step
    runtime = getattr(app.state, "runtime", None)
    for clock in getattr(runtime, "loops", []):
        if isinstance(clock, StayClock):
            clock.ledger = ledger
    app.include_router(billing_routes.router)
    app.include_router(billing_stay_routes.router)
    app.include_router(billing_pages.router)  # the desk's check-out page
    app.include_router(notify_routes.router)
    loop = NotifyLoop(build_worker(sessions, notify), sessions=sessions, billing=billing,
                      notify=notify)
    return loop, housekeeping_hook(notify)
