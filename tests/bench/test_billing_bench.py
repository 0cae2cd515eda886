"""Billing and notification figures: outbox throughput and delay, gapless numbering under load.

Run: ./dev.sh bench tests/bench/test_billing_bench.py   (the session's scratch PostgreSQL, fsync on)
"""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from cloud.billing.folio import ChargeKind, Payer
from cloud.billing.invoicing import issue_invoice
from cloud.billing.service import ChargeRequest, FolioSpec, GuestInfo, open_folio, post_charge
from cloud.billing.tax import TaxPolicy, TaxRate
from cloud.core.db import make_sessionmaker
from cloud.core.money import Money
from cloud.notify.models import OutboxMessage
from cloud.notify.outbox import OutboxWorker, RetryPolicy, enqueue, image_payload
from cloud.notify.telegram import TelegramSender
from tests.bench import billing_fake_api
from tests.cloud.billing.db_fixtures import drop_pg, pg_engine

pytestmark = pytest.mark.bench
N_BULK = 3000


def _worker(engine: Engine, base_url: str, parallel: int = 1) -> OutboxWorker:
    client = httpx.Client(timeout=10, limits=httpx.Limits(max_keepalive_connections=8))
    sender = TelegramSender(client, token=billing_fake_api.TOKEN, base_url=base_url)
    return OutboxWorker(make_sessionmaker(engine), {"telegram": sender},
                        policy=RetryPolicy(), clock=lambda: datetime.now(UTC),
                        parallel=parallel)


def _queue(engine: Engine, n: int, prefix: str) -> None:
    with make_sessionmaker(engine).begin() as session:
        for i in range(n):
            enqueue(session, channel="telegram", recipient="-100", template="room_vacated",
                    language="en", payload=image_payload(f"Room {i} vacated", None, []),
                    dedupe_key=f"{prefix}{i}", now=datetime.now(UTC))


def test_outbox_throughput_and_event_to_send_delay_on_postgresql() -> None:
    engine, name = pg_engine()
    server, base_url = billing_fake_api.start()
    try:
        for parallel in (1, 4):
            _queue(engine, N_BULK, f"bulk-{parallel}-")
            worker = _worker(engine, base_url, parallel)
            start = time.perf_counter()
            while worker.run_once(limit=100):
                pass
            elapsed = time.perf_counter() - start
            with engine.connect() as conn:
                sent = conn.execute(text(
                    "SELECT count(*) FROM notify_outbox WHERE status='sent' AND dedupe_key "
                    f"LIKE 'bulk-{parallel}-%'"))
                assert sent.scalar_one() == N_BULK
            print(f"\noutbox drain, one worker with {parallel} sender thread(s), PostgreSQL, "
                  f"local Telegram stand-in: {N_BULK} messages in {elapsed:.2f} s = "
                  f"{N_BULK / elapsed:.0f} msg/s")
        _delay(engine, _worker(engine, base_url))
    finally:
        server.kill()
        drop_pg(engine, name)


def _delay(engine: Engine, worker: OutboxWorker, rate: int = 50, seconds: float = 4.0) -> None:
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set():
            if not worker.run_once(limit=100):
                stop.wait(0.05)  # poll interval

    thread = threading.Thread(target=drain)
    thread.start()
    for i in range(int(rate * seconds)):
        _queue(engine, 1, f"live-{i}-")
        time.sleep(1 / rate)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with make_sessionmaker(engine)() as session:
            rows = session.execute(select(OutboxMessage.created_at, OutboxMessage.sent_at).where(
                OutboxMessage.dedupe_key.like("live-%"), OutboxMessage.sent_at.is_not(None)
            )).all()
        if len(rows) == int(rate * seconds):
            break
        time.sleep(0.1)
    stop.set()
    thread.join()
    delays = sorted((sent - created).total_seconds() * 1000 for created, sent in rows)
    assert len(delays) == int(rate * seconds)
    p95 = delays[int(len(delays) * 0.95)]
    print(f"event->send delay at {rate} msg/s, poll 50 ms: p50 {statistics.median(delays):.0f} "
          f"ms, p95 {p95:.0f} ms, max {delays[-1]:.0f} ms")


def _prepare(engine: Engine, n: int) -> list[str]:
    policy = TaxPolicy(inclusive=False, rates=(TaxRate.percent("IVA", "16"),))
    ids = []
    with make_sessionmaker(engine).begin() as session:
        for i in range(n):
            folio = open_folio(session, FolioSpec(site="centro", currency="MXN",
                                                  guest=GuestInfo(f"G{i}")),
                               now=datetime.now(UTC))
            post_charge(session, folio_id=folio.id, request=ChargeRequest(
                ChargeKind.ROOM_NIGHT, "", Money(100000, "MXN"), quantity=2), policy=policy,
                now=datetime.now(UTC))
            ids.append(folio.id)
    return ids


def test_fifty_concurrent_checkouts_numbering_on_postgresql() -> None:
    engine, name = pg_engine()
    try:
        rounds, per_round, timings = 5, 50, []
        sessions = make_sessionmaker(engine)

        def checkout(folio: str) -> int:
            with sessions.begin() as session:
                return issue_invoice(session, folio_id=folio, payer=Payer.GUEST,
                                     series="INV", now=datetime.now(UTC)).number

        for _ in range(rounds):
            folios = _prepare(engine, per_round)

            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=per_round) as pool:
                list(pool.map(checkout, folios))
            timings.append(time.perf_counter() - start)
        with engine.connect() as conn:
            numbers = [r[0] for r in conn.execute(
                text("SELECT number FROM billing_invoices ORDER BY number"))]
        assert numbers == list(range(1, rounds * per_round + 1))
        print(f"\n{rounds} rounds of {per_round} concurrent checkouts on PostgreSQL: numbers "
              f"1..{len(numbers)}, 0 gaps, 0 duplicates; per round median "
              f"{statistics.median(timings) * 1000:.0f} ms "
              f"({per_round / statistics.median(timings):.0f} invoices/s)")
    finally:
        drop_pg(engine, name)
