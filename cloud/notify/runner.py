"""Running the outbox and the reminders in the cloud process: real senders when configured,
simulated twins otherwise (the demo)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.http import outbound_client
from cloud.core.idempotency import purge as purge_idempotency
from cloud.notify.delivery import Sender
from cloud.notify.email import EmailSender
from cloud.notify.outbox import OutboxWorker, RetryPolicy, purge_sent
from cloud.notify.settings import NotifySettings
from cloud.notify.simulated import SimulatedSender
from cloud.notify.telegram import TelegramSender
from cloud.notify.whatsapp import WhatsAppSender

log = logging.getLogger(__name__)


class Reminders(Protocol):
    """Queues the reminders due at ``now`` in the caller's transaction (billing's); how many."""

    def __call__(self, session: Session, *, now: datetime) -> int: ...


def build_senders(settings: NotifySettings, client: httpx.Client) -> dict[str, Sender]:
    senders: dict[str, Sender] = {}
    if settings.whatsapp_token and settings.whatsapp_phone_number_id:
        senders["whatsapp"] = WhatsAppSender(
            client, token=settings.whatsapp_token,
            phone_number_id=settings.whatsapp_phone_number_id,
            base_url=settings.whatsapp_api_base, version=settings.whatsapp_api_version)
    else:
        senders["whatsapp"] = SimulatedSender("whatsapp")
    if settings.telegram_bot_token:
        senders["telegram"] = TelegramSender(client, token=settings.telegram_bot_token,
                                             base_url=settings.telegram_api_base)
    else:
        senders["telegram"] = SimulatedSender("telegram")
    if settings.smtp_host:
        senders["email"] = EmailSender(
            host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from,
            starttls=settings.smtp_starttls, username=settings.smtp_username,
            password=settings.smtp_password, ca_file=settings.smtp_ca_file, timeout_s=settings.smtp_timeout_s)
    else:
        senders["email"] = SimulatedSender("email")
    return senders


def build_worker(sessions: sessionmaker[Session], settings: NotifySettings,
                 client: httpx.Client | None = None) -> OutboxWorker:
    policy = RetryPolicy(max_attempts=settings.notify_max_attempts,
                         base_s=settings.notify_backoff_base_s,
                         max_s=settings.notify_backoff_max_s, lease_s=settings.notify_lease_s)
    http = client or outbound_client(timeout_s=settings.notify_http_timeout_s)
    return OutboxWorker(sessions, build_senders(settings, http), policy=policy,
                        clock=lambda: datetime.now(UTC), templates=settings.whatsapp_templates,
                        parallel=settings.notify_send_threads)


class NotifyLoop:
    """A daemon thread: drain the outbox every poll, queue reminders every minute."""

    def __init__(self, worker: OutboxWorker, *, sessions: sessionmaker[Session],
                 notify: NotifySettings, reminders: Reminders | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.worker, self.sessions = worker, sessions
        self.notify, self.reminders, self.clock = notify, reminders, clock
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="posada-notify", daemon=True)
        self._last_reminders: datetime | None = None

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self._reminders_if_due()
                busy = self.worker.run_once(self.notify.notify_batch)
            except Exception:  # a bad round is logged and retried; the loop must live on
                log.exception("notify round failed")
                busy = 0
            if not busy:
                self.stop_event.wait(self.notify.notify_poll_s)

    def _reminders_if_due(self) -> None:
        now = self.clock()
        if self._last_reminders and (now - self._last_reminders).total_seconds() < 60:
            return
        with self.sessions.begin() as session:
            queued = self.reminders(session, now=now) if self.reminders else 0
            keep = now - timedelta(days=self.notify.notify_keep_days)
            purge_sent(session, older_than=keep)
            purge_idempotency(session, older_than=keep)
        self._last_reminders = now
        if queued:
            log.info("queued %d reminders", queued)
