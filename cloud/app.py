"""Composition root of the cloud: settings in, one typed set of services, a FastAPI app out.

The only place that builds adapters (database engine, key directory, card issuer, payment and
message providers, the MQTT link) and hands each area its part through ``install(app, services)``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial

from anyio import to_thread
from fastapi import FastAPI

from cloud.api import wiring as api
from cloud.auth import wiring as auth
from cloud.auth.audit_seal import AuditSealer
from cloud.auth.signin_purge import SigninAddressPurge
from cloud.billing import wiring as billing
from cloud.billing.context import build_context as build_billing
from cloud.billing.guest_messages import run_reminders
from cloud.billing.stay_ledger import FolioLedger
from cloud.board import wiring as board
from cloud.board.notify import BoardNotifier
from cloud.cards import wiring as cards
from cloud.cards.issuer import KeyringIssuer
from cloud.channels import wiring as channels
from cloud.channels.context import build_channels
from cloud.channels.sender import workers as channel_workers
from cloud.commands.publisher import CommandPublisher
from cloud.core import heap
from cloud.core.body_limit import BodyLimit
from cloud.core.clock import Clock, utcnow
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.election import Leadership
from cloud.core.fast_reads import FastReads
from cloud.core.migrate import upgrade
from cloud.core.origin import RequestOrigin
from cloud.core.periodic import Periodic
from cloud.core.problems import install_problem_handlers
from cloud.core.proxies import TrustedProxies, networks
from cloud.core.rate_limit import ApiRateLimit
from cloud.core.rate_shared import SharedTokenBuckets
from cloud.core.rate_store import SqlBucketStore
from cloud.core.shedding import LoadShedding
from cloud.core.templating import templates
from cloud.guests import wiring as guests
from cloud.guests.context import build_guests
from cloud.guests.sealed import attach
from cloud.guestweb import wiring as guestweb
from cloud.guestweb.context import build_guestweb
from cloud.guestweb.stay_hooks import ExtrasLedger
from cloud.guestweb.sweeper import HoldSweeper
from cloud.housekeeping import wiring as housekeeping
from cloud.i18n.jinja import install_i18n
from cloud.ingest.link import CloudLink
from cloud.ingest.service import IngestService
from cloud.ingest.store import IngestStore
from cloud.keys.distribution import KeyDistributor
from cloud.keys.keyring import Keyring
from cloud.keys.storage import KeyDirectory
from cloud.loyalty import wiring as loyalty
from cloud.marketing import wiring as marketing
from cloud.node import wiring as node_wiring
from cloud.node.wiring import DelegationDistributor, node_ingest
from cloud.notify import wiring as notify
from cloud.notify.maintenance import MaintenanceAlertNotifier
from cloud.notify.routes import NotifyContext
from cloud.notify.staff_mail import UnlockMail
from cloud.operations import wiring as operations
from cloud.portal import wiring as portal
from cloud.privacy.service import GuestCopies
from cloud.reports import wiring as reports
from cloud.reservations import wiring as reservations
from cloud.reservations.availability_lane import AvailabilityLane
from cloud.reservations.booking_lane import BookingLane
from cloud.reservations.stays.credentials import CredentialIssuer
from cloud.reservations.stays.guest_history import GuestHistory
from cloud.reservations.stays.schedule import StayClock
from cloud.services import PosadaApp, Services
from cloud.settings import Settings, load
from cloud.setup import wiring as setup
from cloud.telemetry import wiring as telemetry
from cloud.telemetry.alerts.monitor import AlertLoop, AlertMonitor
from cloud.telemetry.handoff import TelemetryHandoff
from cloud.telemetry.ingest import telemetry_ingest

log = logging.getLogger(__name__)
# A first key (a demo) is valid from a little before now: the request being signed was stamped
# before it was made.
FIRST_KEY_BACKDATE = timedelta(minutes=5)
EVENT_PARTITIONS_S = 3600.0  # made ahead hourly; a batch that needs one makes it anyway


def _shared_rate_limits(settings: Settings, services: Services) -> SharedTokenBuckets | None:
    """API token buckets in the database when several workers serve (or when asked)."""
    shared = settings.api_rate_shared if settings.api_rate_shared is not None else settings.http_workers > 1
    if not shared:
        return None
    return SharedTokenBuckets(SqlBucketStore(services.sessions), per_minute=settings.api_rate_per_minute,
                              burst=settings.api_rate_burst, processes=settings.http_workers)


def build_services(settings: Settings, *, clock: Clock = utcnow,
                   issuer: CredentialIssuer | None = None) -> Services:
    """Every adapter of the cloud, built once; the database is migrated first."""
    engine = make_engine(settings.database_url, **_pool_size(settings))
    guests = build_guests(settings.guests)
    guests.copies.append(GuestCopies())  # erasure and export reach every copy of the guest's data
    attach(engine, guests.vault)  # every copy of a guest's personal data sealed under the registry's keys
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    reads = FastReads(engine)
    keys = KeyDirectory(settings.keys_dir)
    # stays keep their folios in step, and their guests' points
    points, history = loyalty.wrap(settings, FolioLedger(settings.billing), GuestHistory(settings.guests))
    ledger = ExtrasLedger(points, billing=settings.billing)  # a cancelled stay drops its booked extras
    services = Services(
        settings=settings, engine=engine, sessions=sessions, clock=clock,
        auth=auth.build_auth(settings.auth, sessions, reads), guests=guests,
        keys=keys, issuer=issuer or KeyringIssuer(lambda: keyring(keys)), history=history,
        billing=build_billing(sessions, settings.billing, clock=clock), ledger=ledger,
        notify=NotifyContext(sessions=sessions, settings=settings.notify, clock=clock),
    )
    services.auth.mailer = UnlockMail(settings.notify)  # unlock links after failed sign-ins
    # checkouts at the hour, block releases, service tasks; the message outbox and reminders
    services.workers.append(StayClock(sessions, history=history, ledger=ledger))
    services.workers.append(AuditSealer(sessions))  # committed audit entries take their place in the chain
    services.workers.append(SigninAddressPurge(  # addresses of failed sign-ins, once they count for nothing
        sessions, clock=clock, window=timedelta(minutes=settings.auth.lockout_window_minutes)))
    services.workers.append(notify.build_loop(sessions, settings.notify, reminders=partial(
        run_reminders, billing=settings.billing, notify=settings.notify)))
    services.channels = build_channels(sessions, settings.channels, clock=clock, ledger=ledger)
    if settings.channels.channels_enabled:  # ARI to OTA channels (a process of its own), iCal feeds imported
        services.workers.extend(channel_workers(settings, services.channels, sessions, clock=clock))
    services.guestweb = build_guestweb(settings.guestweb, billing=settings.billing,
                                       secret=settings.secret_key, font=services.billing.font,
                                       sessions=sessions, workers=settings.http_workers)
    # unpaid online bookings released, pre-check-in documents erased when their time is up
    services.workers.append(HoldSweeper(sessions, ledger=ledger, vault=services.guests.vault, clock=clock,
                                        billing=settings.billing))
    return services


def _pool_size(settings: Settings) -> dict[str, int]:
    """Enough PostgreSQL connections for every request thread, so none is opened per request."""
    if not settings.database_url.startswith("postgresql"):
        return {}
    return {"pool_size": settings.http_threads + 4, "max_overflow": 8}


def keyring(keys: KeyDirectory) -> Keyring:
    """Loaded per card, so a rotated key is picked up without a restart."""
    return keys.load_or_create(now=utcnow() - FIRST_KEY_BACKDATE)


def start_alerts(services: Services) -> None:
    """Telemetry alerts become maintenance tasks and a message to the floor's maintenance chat."""
    settings = services.settings.telemetry
    notifier = MaintenanceAlertNotifier(services.sessions, services.settings.notify)
    monitor = AlertMonitor(services.sessions, thresholds=settings.thresholds(), notifier=notifier)
    services.run(AlertLoop(monitor, interval_s=settings.alert_interval_s))


def start_mqtt(services: Services) -> None:
    """Broker (embedded unless a URL is set), link, ingest and command publisher."""
    settings = services.settings
    if not settings.mqtt_url:
        services.start_embedded_broker()
    url = services.mqtt_url
    assert url is not None
    link = services.link = CloudLink(url, client_id=settings.mqtt_client_id,
                                     share_group=settings.mqtt_share_group)
    store = IngestStore(services.engine)
    store.event_hooks.extend(services.event_hooks)
    # the current and next month's partitions of events for every known property (PostgreSQL)
    services.run(Periodic(lambda: store.partitions.ahead(utcnow()), interval_s=EVENT_PARTITIONS_S,
                          name="events-partitions", done="%d partitions made ahead"))
    ingest = services.ingest = IngestService(link, store, batch_max=settings.ingest_batch_max,
                                             batch_wait_s=settings.ingest_batch_wait_ms / 1000)
    ingest.listeners.append(BoardNotifier(services.hub, services.sessions))
    handoff = TelemetryHandoff(telemetry_ingest(settings.telemetry, services.sessions))
    services.run(handoff)
    ingest.on_telemetry = handoff.submit
    publisher = services.publisher = CommandPublisher(link, services.sessions)
    ingest.listeners.append(
        KeyDistributor(services.sessions, lambda: keyring(services.keys), wake=publisher.poke))
    # the nodes' delegated card keys, after the property keys they hang from
    ingest.listeners.append(DelegationDistributor(services, wake=publisher.poke))
    ingest.start()
    publisher.start()
    link.start()
    services.run(node_ingest(  # property nodes: their own session, their card keys renewed
        services, url=url, keyring=lambda: keyring(services.keys), wake=publisher.poke))


def create_app(settings: Settings | None = None, *, clock: Clock = utcnow,
               issuer: CredentialIssuer | None = None) -> PosadaApp:
    """The app on ``settings`` (default: read from the environment and ``POSADA_CONFIG``).

    ``clock`` and ``issuer`` replace the real clock and card issuer (tests, simulations)."""
    settings = settings or load()
    services = build_services(settings, clock=clock, issuer=issuer)
    shared_rates = _shared_rate_limits(settings, services)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = settings.http_threads
        await services.auth.reads.open()
        if shared_rates is not None:  # every worker reports its own API requests
            services.run(Periodic(lambda: shared_rates.sync(time.time()), name="api-rate-sync",
                                  interval_s=settings.api_rate_sync_ms / 1000, done="%d tokens reported"))
        leader = Leadership(settings.database_url)
        if settings.http_workers == 1 or leader.acquire():  # the parts that run once
            for worker in services.workers:
                services.run(worker)
            if settings.mqtt_enabled:
                start_mqtt(services)
                start_alerts(services)
                heap.settle()  # the ingest's rows no longer make the collector walk start-up's heap
        try:
            yield
        finally:
            services.stop()
            heap.release()
            leader.release()
            await services.auth.reads.close()

    app = PosadaApp(title="Posada", version="0.1.0", lifespan=lifespan, openapi_url="/openapi.json",
                    description="Hotel management: reservations, stays, rooms, doors and billing.")
    app.services = services
    install_problem_handlers(app)
    # Routes match in this order, each request trying them one by one: the health check, the
    # staff's tokens and ``/api/v1/auth/me`` and the reservations API first, as the most
    # requested; cards before the reservations pages, which match more widely.
    api.install(app, services)
    # innermost middleware (added first): availability's and booking's common requests without
    # the routing
    app.add_middleware(AvailabilityLane)
    app.add_middleware(BookingLane)
    auth.install(app, services, templates=templates, csrf_exempt=("/api/", "/guest/"))
    reservations.install_api(app, services)
    auth.install_pages(app, services)
    cards.install(app, services)
    reservations.install_pages(app, services)
    for area in (guests, billing, notify, board, telemetry, housekeeping, setup, channels, reports,
                 node_wiring, operations, portal, guestweb, loyalty, marketing):
        area.install(app, services)
    install_i18n(app, templates)  # the language is known to every page, errors too
    app.add_middleware(ApiRateLimit, per_minute=settings.api_rate_per_minute, burst=settings.api_rate_burst,
                       buckets=shared_rates, clock=time.time if shared_rates else time.monotonic)
    app.add_middleware(BodyLimit, max_bytes=settings.http_max_body_bytes)
    app.add_middleware(RequestOrigin)  # who and from where, for the audit trail
    app.add_middleware(TrustedProxies, trusted=networks(settings.http_trusted_proxies))  # the real client
    app.add_middleware(LoadShedding, max_in_flight=settings.http_max_in_flight,  # outermost: sheds cheaply
                       answer_within_s=settings.http_answer_within_ms / 1000)
    return app
