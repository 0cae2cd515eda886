from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
from sqlalchemy.engine import Engine

from cloud.core.db import make_sessionmaker
from cloud.notify.outbox import enqueue, image_payload
from cloud.notify.runner import NotifyLoop, build_senders, build_worker
from cloud.notify.settings import NotifySettings
from cloud.notify.simulated import SimulatedSender
from cloud.notify.telegram import TelegramSender
from cloud.notify.whatsapp import WhatsAppSender


def test_real_senders_only_when_credentials_are_configured() -> None:
    client = httpx.Client()
    bare = build_senders(NotifySettings(), client)
    assert all(isinstance(s, SimulatedSender) for s in bare.values())
    real = build_senders(NotifySettings(whatsapp_token="t", whatsapp_phone_number_id="123",
                                        telegram_bot_token="1:abc"), client)
    assert isinstance(real["whatsapp"], WhatsAppSender)
    assert isinstance(real["telegram"], TelegramSender)


def test_the_loop_sends_what_is_queued_and_stops(sqlite_only: Engine) -> None:
    sessions = make_sessionmaker(sqlite_only)
    settings = NotifySettings(notify_poll_s=0.05)
    worker = build_worker(sessions, settings)
    loop = NotifyLoop(worker, sessions=sessions, notify=settings)
    loop.start()
    with sessions.begin() as session:
        enqueue(session, channel="telegram", recipient="-1", template="room_vacated",
                language="en", payload=image_payload("hello", None, []), dedupe_key="x",
                now=datetime.now(UTC))
    sender = worker.senders["telegram"]
    assert isinstance(sender, SimulatedSender)
    deadline = time.monotonic() + 5
    while not sender.sent and time.monotonic() < deadline:
        time.sleep(0.02)
    loop.stop()
    assert [m.text for m in sender.sent] == ["hello"]
    assert not loop.thread.is_alive()
