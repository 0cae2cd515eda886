from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import httpx
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from sqlalchemy.engine import Engine
from werkzeug import Request, Response

from cloud.core.db import make_sessionmaker
from cloud.core.delivery import DeliveryError
from cloud.notify.housekeeping import on_room_vacated
from cloud.notify.models import OutboxMessage
from cloud.notify.outbox import OutboxWorker, RetryPolicy, enqueue, image_payload, set_opt_out
from cloud.notify.settings import NotifySettings
from cloud.notify.simulated import SimulatedSender
from cloud.notify.telegram import TelegramSender

T0 = datetime(2026, 11, 25, 12, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=3, base_s=10, max_s=100, lease_s=60)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _enqueue(engine: Engine, n: int = 1, *, channel: str = "whatsapp", to: str = "34600") -> None:
    with make_sessionmaker(engine).begin() as session:
        for i in range(n):
            enqueue(session, channel=channel, recipient=to, template="payment_reminder",
                    language="es", payload=image_payload(f"msg {i}", b"png", ["a"]),
                    dedupe_key=f"k{i}", now=T0)


def _worker(engine: Engine, sender: SimulatedSender, clock: Clock) -> OutboxWorker:
    return OutboxWorker(make_sessionmaker(engine), {sender.channel: sender}, policy=POLICY,
                        clock=clock)


def _statuses(engine: Engine) -> list[tuple[str, int]]:
    with make_sessionmaker(engine)() as session:
        rows = session.execute(select(OutboxMessage.status, OutboxMessage.attempts)
                               .order_by(OutboxMessage.dedupe_key))
        return [(s, a) for s, a in rows]


def test_enqueueing_the_same_key_twice_queues_one_message(engine: Engine) -> None:
    _enqueue(engine)
    _enqueue(engine)
    assert _statuses(engine) == [("pending", 0)]


def test_retryable_failure_backs_off_exponentially_then_sends(engine: Engine) -> None:
    clock, sender = Clock(), SimulatedSender("whatsapp", [
        DeliveryError("502", permanent=False), DeliveryError("503", permanent=False)])
    worker = _worker(engine, sender, clock)
    _enqueue(engine)
    assert worker.run_once() == 1
    clock.now = T0 + timedelta(seconds=9)
    assert worker.run_once() == 0  # first backoff is 10 s
    clock.now = T0 + timedelta(seconds=10)
    assert worker.run_once() == 1
    clock.now = T0 + timedelta(seconds=29)
    assert worker.run_once() == 0  # second backoff is 20 s from t=10
    clock.now = T0 + timedelta(seconds=30)
    assert worker.run_once() == 1
    assert _statuses(engine) == [("sent", 3)]
    assert sender.sent[0].image_png == b"png"
    assert (worker.counters.sent, worker.counters.retried, worker.counters.dead) == (1, 2, 0)


def test_retry_after_from_the_api_wins_over_a_shorter_backoff(engine: Engine) -> None:
    clock = Clock()
    sender = SimulatedSender("whatsapp", [DeliveryError("429", permanent=False, retry_after=50)])
    worker = _worker(engine, sender, clock)
    _enqueue(engine)
    worker.run_once()
    clock.now = T0 + timedelta(seconds=49)
    assert worker.run_once() == 0
    clock.now = T0 + timedelta(seconds=50)
    assert worker.run_once() == 1


def test_permanent_failure_dead_letters_at_once(engine: Engine) -> None:
    sender = SimulatedSender("whatsapp", [DeliveryError("400 bad number", permanent=True)])
    _enqueue(engine)
    _worker(engine, sender, Clock()).run_once()
    assert _statuses(engine) == [("dead", 1)]


def test_running_out_of_attempts_dead_letters(engine: Engine) -> None:
    clock = Clock()
    sender = SimulatedSender("whatsapp", [DeliveryError("500", permanent=False)] * 3)
    worker = _worker(engine, sender, clock)
    _enqueue(engine)
    for _ in range(3):
        worker.run_once()
        clock.now += timedelta(seconds=POLICY.max_s)
    assert _statuses(engine) == [("dead", 3)]
    assert sender.sent == []


def test_opted_out_guest_is_not_messaged(engine: Engine) -> None:
    with make_sessionmaker(engine).begin() as session:
        set_opt_out(session, channel="whatsapp", address="34600", opted_out=True, now=T0)
    sender = SimulatedSender("whatsapp")
    _enqueue(engine)
    assert _worker(engine, sender, Clock()).run_once() == 0
    assert _statuses(engine) == [("suppressed", 0)] and sender.sent == []


def test_after_a_crash_claimed_rows_are_sent_once_when_the_lease_expires(engine: Engine) -> None:
    clock = Clock()
    _enqueue(engine, 3)
    crashed = _worker(engine, SimulatedSender("whatsapp"), clock)
    crashed.claim(2)  # the process dies here: claimed, never sent
    restarted_sender = SimulatedSender("whatsapp")
    restarted = _worker(engine, restarted_sender, clock)
    assert restarted.run_once() == 1  # only the unclaimed one
    clock.now = T0 + timedelta(seconds=61)
    assert restarted.run_once() == 2
    assert restarted.run_once() == 0
    assert sorted(m.text for m in restarted_sender.sent) == ["msg 0", "msg 1", "msg 2"]


def test_a_worker_whose_lease_was_taken_over_cannot_overwrite_the_outcome(engine: Engine) -> None:
    clock = Clock()
    _enqueue(engine)
    slow = _worker(engine, SimulatedSender("whatsapp"), clock)
    [stale] = slow.claim(1)
    clock.now = T0 + timedelta(seconds=61)
    fast_sender = SimulatedSender("whatsapp", [DeliveryError("400", permanent=True)])
    _worker(engine, fast_sender, clock).run_once()
    slow.deliver(stale)  # the slow worker finally reports success: fenced out
    assert _statuses(engine) == [("dead", 2)]


def test_two_workers_draining_together_send_each_message_once(engine: Engine) -> None:
    _enqueue(engine, 120)
    sender = SimulatedSender("whatsapp")
    workers = [_worker(engine, sender, Clock()) for _ in range(2)]

    def drain(worker: OutboxWorker) -> None:
        while worker.run_once(limit=7):
            pass

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    texts = [m.text for m in sender.sent]
    assert len(texts) == 120 and len(set(texts)) == 120


def test_room_vacated_reaches_the_floor_housekeeping_chat_through_telegram(
    engine: Engine, httpserver: HTTPServer
) -> None:
    settings = NotifySettings(telegram_housekeeping_chats={"centro/p2": "-1002"})
    seen: list[dict[str, str]] = []

    def handler(request: Request) -> Response:
        seen.append(request.get_json())
        return Response(json.dumps({"ok": True, "result": {"message_id": 5}}),
                        content_type="application/json")

    httpserver.expect_request("/botT0K3N/sendMessage", method="POST").respond_with_handler(
        handler)
    with make_sessionmaker(engine).begin() as session:
        at = T0 + timedelta(minutes=3)
        assert on_room_vacated(session, site="centro", floor="p2", room="204", at=at,
                               settings=settings)
        assert not on_room_vacated(session, site="centro", floor="p2", room="204", at=at,
                                   settings=settings)
        assert not on_room_vacated(session, site="centro", floor="p9", room="901", at=at,
                                   settings=settings)
    sender = TelegramSender(httpx.Client(), token="T0K3N", base_url=httpserver.url_for("/"))
    worker = OutboxWorker(make_sessionmaker(engine), {"telegram": sender}, policy=POLICY,
                          clock=lambda: datetime.now(UTC))
    assert worker.run_once() == 1
    assert seen == [{"chat_id": "-1002", "parse_mode": "HTML",
                     "text": "<b>Room 204</b> (floor p2) was vacated at 12:03 UTC. "
                             "Ready for cleaning.",
                     "link_preview_options": {"is_disabled": True}}]
    assert _statuses(engine) == [("sent", 1)]


def test_purging_forgets_old_delivered_messages_but_keeps_dead_letters(engine: Engine) -> None:
    from cloud.notify.outbox import purge_sent

    _enqueue(engine, 2)
    sender = SimulatedSender("whatsapp", [DeliveryError("400", permanent=True)])
    _worker(engine, sender, Clock()).run_once()
    with make_sessionmaker(engine).begin() as session:
        assert purge_sent(session, older_than=T0) == 0
        assert purge_sent(session, older_than=T0 + timedelta(days=1)) == 1
    assert _statuses(engine) == [("dead", 1)]
