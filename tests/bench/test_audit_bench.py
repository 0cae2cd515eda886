"""What the audit trail costs a booking, on PostgreSQL: the same bookings with the trail and, as
the same-run reference, with it switched off (its listener removed), alternating in rounds.

Prints milliseconds per booking for one client and transactions/s for 20 concurrent clients
(each booking writes its entry; a sealer thread chains them every second meanwhile).
Run: ``./dev.sh bench -k audit``.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth import audit as trail
from cloud.auth.audit_log import unsealed_count, verify_log
from cloud.auth.audit_seal import AuditSealer
from cloud.auth.models import AuditEntry
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import upgrade
from cloud.reservations.errors import SoldOut
from cloud.reservations.sales import booking
from cloud.reservations.sales.booking import Booking
from tests.bench.test_reservations_bench import DAYS, NOW, START, _hotel
from tests.support.pg import fresh_database

pytestmark = pytest.mark.bench
ROUNDS = 4
SEQUENTIAL = 150
CLIENTS, PER_CLIENT = 20, 15


@pytest.fixture(scope="module")
def hotel() -> Iterator[sessionmaker[Session]]:
    with fresh_database("posada_audit_bench") as url:
        engine = make_engine(url, pool_size=CLIENTS, max_overflow=5)
        upgrade(engine)
        sessions: sessionmaker[Session] = make_sessionmaker(engine)
        with sessions.begin() as s:
            _hotel(s)
        yield sessions
        engine.dispose()


@contextmanager
def trail_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    listeners = (("after_flush", trail._capture),)
    for name, fn in listeners:
        event.remove(Session, name, fn)
    with monkeypatch.context() as patch:
        patch.setattr(booking, "record_row", lambda *a, **k: None)
        try:
            yield
        finally:
            for name, fn in listeners:
                event.listen(Session, name, fn)


def _book(sessions: sessionmaker[Session], rng: random.Random) -> None:
    arrival = START + timedelta(days=rng.randrange(DAYS))
    request = Booking(property="big", room_type=rng.choice(["std", "sup", "fam", "ste"]), rate_plan="flex",
                      arrival=arrival, departure=arrival + timedelta(days=rng.randint(1, 3)), guest_name="p")
    try:
        with sessions.begin() as s:
            booking.book(s, request, now=NOW)
    except SoldOut:
        pass


def _sequential(sessions: sessionmaker[Session], seed: int) -> float:
    rng = random.Random(seed)
    started = time.perf_counter()
    for _ in range(SEQUENTIAL):
        _book(sessions, rng)
    return (time.perf_counter() - started) / SEQUENTIAL * 1000


def _concurrent(sessions: sessionmaker[Session], seed: int) -> float:
    barrier = threading.Barrier(CLIENTS)

    def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        barrier.wait()
        for _ in range(PER_CLIENT):
            _book(sessions, rng)

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    return CLIENTS * PER_CLIENT / (time.perf_counter() - started)


def test_booking_with_and_without_the_audit_trail(hotel: sessionmaker[Session],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    on_ms, off_ms, on_tps, off_tps = [], [], [], []
    sealer = AuditSealer(hotel)
    sealer.start()
    for n in range(ROUNDS):  # which goes first alternates: the hotel fills as the rounds go
        for on in (n % 2 == 0, n % 2 == 1):
            with trail_off(monkeypatch) if not on else nullcontext():
                (on_ms if on else off_ms).append(_sequential(hotel, 10 * n + on))
                (on_tps if on else off_tps).append(_concurrent(hotel, 10 * n + 2 + on))
    sealer.stop()
    med = statistics.median
    print(f"\none client: {med(on_ms):.2f} ms per booking with the trail, {med(off_ms):.2f} ms without "
          f"({med(on_ms) / med(off_ms):.2f}x; rounds {[round(x, 2) for x in on_ms]} vs "
          f"{[round(x, 2) for x in off_ms]})")
    print(f"{CLIENTS} clients: {med(on_tps):.0f} bookings/s with the trail, {med(off_tps):.0f} without "
          f"({med(on_tps) / med(off_tps):.2f}x)")
    with hotel() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) > 0
        assert not hasattr(verify_log(s), "reason") and unsealed_count(s) == 0
