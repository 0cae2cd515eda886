"""Reservations at scale on PostgreSQL: 1,000 rooms, 50,000 reservations.

Prints availability-search latency (p50/p95, service level: SQL plus night-by-night quotes) and
booking throughput with 50 concurrent clients (each booking a full transaction: inventory,
room assignment, nights), and the same bookings through the HTTP API (in-process ASGI client).
Run: ``./dev.sh bench -k reservations`` (``-k booking`` for the two booking figures).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session, sessionmaker

from cloud.app import create_app
from cloud.auth.accounts import create_staff, ensure_property, principal_of
from cloud.auth.roles import Role
from cloud.auth.sessions import issue_api_token
from cloud.catalog import service as catalog
from cloud.catalog.models import Floor, RatePlan, RatePrice, Room, RoomType
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import upgrade
from cloud.core.nights import Stay, local_instant
from cloud.reservations.errors import SoldOut
from cloud.reservations.models import Reservation, RoomAllocation, TypeInventory
from cloud.reservations.sales import booking, queries
from cloud.reservations.sales.booking import Booking
from cloud.settings import Settings
from tests.support.pg import fresh_database

START = date(2027, 1, 1)
DAYS = 365
NOW = datetime(2026, 12, 1, tzinfo=UTC)
TYPES = [
    ("std", 2, 0, 400, 9000),
    ("sup", 3, 1, 300, 12000),
    ("fam", 4, 2, 200, 15000),
    ("ste", 4, 3, 100, 25000),
]
RESERVATIONS = 50_000
CLIENTS = 50
BOOKING_SECONDS = 10.0


@pytest.fixture(scope="module")
def loaded() -> Iterator[sessionmaker[Session]]:
    with fresh_database("posada_bench") as url:
        engine = make_engine(url, pool_size=20, max_overflow=40)
        upgrade(engine)
        sessions: sessionmaker[Session] = make_sessionmaker(engine)
        started = time.perf_counter()
        with sessions.begin() as s:
            _hotel(s)
        _load_stays(engine, sessions)
        print(
            f"\nloaded 1,000 rooms and {RESERVATIONS:,} reservations in {time.perf_counter() - started:.1f} s"
        )
        yield sessions
        engine.dispose()


def _hotel(s: Session) -> None:
    prop = catalog.create_property(
        s, slug="big", number=7, name="Big", timezone="Europe/Madrid", currency="EUR"
    )
    floors = [Floor(property_id=prop.id, slug=f"f{n}", level=n) for n in range(1, 11)]
    s.add_all(floors)
    plan = RatePlan(property_id=prop.id, code="flex", name="Flexible", deposit_kind="first_night")
    s.add(plan)
    s.flush()
    number = 0
    for code, guests, rank, count, price in TYPES:
        type_ = RoomType(property_id=prop.id, code=code, name=code, max_guests=guests, rank=rank)
        s.add(type_)
        s.flush()
        s.add_all(
            [
                RatePrice(rate_plan_id=plan.id, room_type_id=type_.id, amount_minor=price),
                RatePrice(
                    rate_plan_id=plan.id, room_type_id=type_.id, amount_minor=price + 2000, weekdays=[4, 5]
                ),
            ]
        )
        rows = []
        for _ in range(count):
            floor = floors[number // 100]
            rows.append(
                {
                    "property_id": prop.id,
                    "floor_id": floor.id,
                    "room_type_id": type_.id,
                    "slug": f"{floor.level}{number % 100:02d}",
                    "number": 1000 + number,
                    "view": random.choice(["sea", "city"]),
                    "accessible": number % 50 == 0,
                    "near_lift": number % 100 < 4,
                }
            )
            number += 1
        s.execute(insert(Room), rows)


def _load_stays(engine: Engine, sessions: sessionmaker[Session]) -> None:
    """Fill every room over the year with stays of 1-6 nights and gaps of 0-4, then count inventory."""
    rng = random.Random(7)
    with sessions.begin() as s:
        prop = catalog.get_property(s, "big")
        plan = catalog.rate_plan(s, prop, "flex")
        rooms = [(r.id, r.room_type_id) for r in s.query(Room).order_by(Room.id)]
    res_rows: list[dict[str, object]] = []
    alloc_rows: list[dict[str, object]] = []
    sold = Counter[tuple[int, date]]()
    per_room = RESERVATIONS // len(rooms)
    for room_id, type_id in rooms:
        night = START + timedelta(days=rng.randrange(30))
        for _ in range(per_room):
            stay = Stay(night, night + timedelta(days=rng.randint(1, 6)))
            rid = f"{len(res_rows):026d}"
            res_rows.append(_reservation(rid, prop.id, type_id, plan.id, stay))
            alloc_rows.append(
                {
                    "room_id": room_id,
                    "reservation_id": rid,
                    "kind": "stay",
                    "start_night": stay.arrival,
                    "end_night": stay.departure,
                    "note": "",
                }
            )
            for n in stay.each_night():
                sold[(type_id, n)] += 1
            night = stay.departure + timedelta(days=rng.randint(0, 4))
    capacity = Counter(t for _r, t in rooms)
    with engine.begin() as conn:
        for chunk in range(0, len(res_rows), 5000):
            conn.execute(insert(Reservation), res_rows[chunk : chunk + 5000])
            conn.execute(insert(RoomAllocation), alloc_rows[chunk : chunk + 5000])
        conn.execute(
            insert(TypeInventory),
            [
                {
                    "room_type_id": t,
                    "night": START + timedelta(days=d),
                    "capacity": capacity[t],
                    "sold": sold[(t, START + timedelta(days=d))],
                }
                for t in capacity
                for d in range(DAYS + 60)
            ],
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # steady state, as a running hotel's database is: without it autovacuum runs over the
        # freshly loaded tables during the measurement and takes a core from it
        conn.exec_driver_sql("VACUUM ANALYZE")
    occupied = sum(v for (t, n), v in sold.items() if n < START + timedelta(days=DAYS))
    print(f"occupancy over the year: {occupied / (len(rooms) * DAYS):.0%}")


def _reservation(rid: str, prop_id: int, type_id: int, plan_id: int, stay: Stay) -> dict[str, object]:
    return {
        "id": rid,
        "property_id": prop_id,
        "status": "booked",
        "guest_name_enc": "Bench",  # the column as stored (a bulk insert seals nothing)
        "adults": 1,
        "children": 0,
        "room_type_id": type_id,
        "inventory_type_id": type_id,
        "rate_plan_id": plan_id,
        "arrival": stay.arrival,
        "departure": stay.departure,
        "currency": "EUR",
        "total_minor": 0,
        "deposit_required_minor": 0,
        "cancellation_fee_minor": 0,
        "late_checkout_fee_minor": 0,
        "checkout_due_at": local_instant(stay.departure, datetime.min.time().replace(hour=11), "UTC"),
        "preferences": {},
        "notes": "",
        "created_at": NOW,
    }


@pytest.mark.bench
def test_availability_search_p95(loaded: sessionmaker[Session]) -> None:
    rng = random.Random(11)
    timings = []
    with loaded() as s:
        prop = catalog.get_property(s, "big")
        for _ in range(1000):
            arrival = START + timedelta(days=rng.randrange(DAYS - 10))
            stay = Stay(arrival, arrival + timedelta(days=rng.randint(1, 7)))
            started = time.perf_counter()
            offers = queries.availability(s, prop, stay=stay, guests=rng.randint(1, 3))
            timings.append((time.perf_counter() - started) * 1000)
            assert all(o.quote.total_minor > 0 for o in offers)
    timings.sort()
    p50, p95 = statistics.median(timings), timings[int(len(timings) * 0.95)]
    print(f"availability search (1,000 rooms, {RESERVATIONS:,} reservations): "
          f"p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    assert p95 < 20


ROUNDS = 3


@pytest.mark.bench
def test_booking_throughput_with_50_clients(loaded: sessionmaker[Session]) -> None:
    """50 threads in this process, each booking in its own transaction; three rounds, since this
    machine's speed drifts (the reference loop time is printed beside each round)."""
    url = loaded.kw["bind"].url.render_as_string(hide_password=False)
    rates = []
    for n in range(ROUNDS):
        reference = _reference_seconds()
        booked, sold_out, cpu = _clients_in_a_process(url, n * CLIENTS, CLIENTS, time.time() + 1)
        rates.append(_report(loaded, f"{CLIENTS} clients (reference loop {reference:.2f} s)",
                             booked, sold_out, cpu))
    print(f"booking with {CLIENTS} clients: median {statistics.median(rates):.0f} transactions/s "
          f"over {ROUNDS} rounds of {BOOKING_SECONDS:.0f} s")


def _reference_seconds() -> float:
    """CPU seconds of a fixed pure-Python loop: about 0.27 s when this machine is quiet."""
    started, total = time.process_time(), 0
    for i in range(3_000_000):
        total += i
    return time.process_time() - started


def _report(loaded: sessionmaker[Session], who: str, booked: int, sold_out: int, cpu: float) -> float:
    total = booked + sold_out
    print(f"booking with {who} for {BOOKING_SECONDS:.0f} s: {total / BOOKING_SECONDS:.0f} transactions/s "
          f"({booked / BOOKING_SECONDS:.0f} booked/s, {sold_out} sold out); "
          f"Python CPU {cpu / total * 1000:.2f} ms per booking")
    with loaded() as s:
        double = s.execute(text(
            "SELECT count(*) FROM room_allocations a JOIN room_allocations b ON a.room_id = b.room_id "
            "AND a.id < b.id AND a.stay && b.stay")).scalar()
        assert double == 0
    return total / BOOKING_SECONDS


PROCESSES = 2


def _clients_in_a_process(url: str, first: int, count: int, start_at: float) -> tuple[int, int, float]:
    """``count`` booking clients on their own engine; returns (booked, sold out, Python CPU s)."""
    engine = make_engine(url, pool_size=count, max_overflow=0)
    sessions: sessionmaker[Session] = make_sessionmaker(engine)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def client(n: int) -> None:
        rng = random.Random(n)
        time.sleep(max(0.0, start_at - time.time()))
        while time.time() < start_at + BOOKING_SECONDS:
            arrival = START + timedelta(days=rng.randrange(DAYS + 20))
            request = Booking(property="big", room_type=rng.choice(["std", "sup", "fam", "ste"]),
                              rate_plan="flex", arrival=arrival, guest_name=f"p{n}",
                              departure=arrival + timedelta(days=rng.randint(1, 4)))
            try:
                with sessions.begin() as s:
                    booking.book(s, request, now=NOW)
                result = "booked"
            except SoldOut:
                result = "sold out"
            with lock:
                outcomes[result] += 1

    cpu = time.process_time()
    with ThreadPoolExecutor(count) as pool:
        list(pool.map(client, range(first, first + count)))
    engine.dispose()
    return outcomes["booked"], outcomes["sold out"], time.process_time() - cpu


@pytest.mark.bench
def test_booking_throughput_with_50_clients_in_two_processes(loaded: sessionmaker[Session]) -> None:
    """The same 50 clients split over two processes, as the cloud runs with two workers
    (``uvicorn --workers 2``): each process has its own interpreter lock."""
    url = loaded.kw["bind"].url.render_as_string(hide_password=False)
    start_at = time.time() + 10  # after the processes have imported the cloud
    share = CLIENTS // PROCESSES
    with ProcessPoolExecutor(PROCESSES, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_clients_in_a_process, [url] * PROCESSES,
                                [n * share for n in range(PROCESSES)], [share] * PROCESSES,
                                [start_at] * PROCESSES))
    booked, sold_out, cpu = (sum(r[i] for r in results) for i in range(3))
    _report(loaded, f"{CLIENTS} clients in {PROCESSES} processes", int(booked), int(sold_out), cpu)


@pytest.mark.bench
def test_booking_through_the_api_with_50_clients(loaded: sessionmaker[Session]) -> None:
    """The same bookings as POST /api/v1/properties/big/reservations, through the whole ASGI app
    (auth, folio, response body) with an in-process client: its CPU is counted in the figure."""
    url = loaded.kw["bind"].url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, mqtt_enabled=False), clock=lambda: NOW)
    ctx = app.services.auth
    with ctx.sessionmaker.begin() as s:
        ensure_property(s, site="big", chain="bench", name="Big")
        user = create_staff(s, actor="bench", passwords=ctx.passwords, username="bench-desk",
                            display_name="Desk", password="correct-horse-battery", role=Role.FRONT_DESK,
                            site="big", chain="bench")
        s.flush()
        token, _row = issue_api_token(s, principal=principal_of(s, user), name="bench", now=NOW,
                                      settings=ctx.settings)
    statuses: Counter[int] = Counter()

    async def run() -> None:
        deadline = time.perf_counter() + BOOKING_SECONDS
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench",
                                     headers=headers) as client:

            async def one(n: int) -> None:
                rng = random.Random(1000 + n)
                while time.perf_counter() < deadline:
                    arrival = START + timedelta(days=rng.randrange(DAYS + 20))
                    body = {"room_type": rng.choice(["std", "sup", "fam", "ste"]), "rate_plan": "flex",
                            "arrival": arrival.isoformat(), "guest_name": f"api {n}",
                            "departure": (arrival + timedelta(days=rng.randint(1, 4))).isoformat()}
                    answer = await client.post("/api/v1/properties/big/reservations", json=body)
                    statuses[answer.status_code] += 1

            await asyncio.gather(*(one(n) for n in range(CLIENTS)))

    started, cpu = time.perf_counter(), time.process_time()
    try:
        asyncio.run(run())
    finally:
        app.services.engine.dispose()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    total = sum(statuses.values())
    print(f"booking through the API with {CLIENTS} clients for {elapsed:.1f} s: "
          f"{total / elapsed:.0f} requests/s ({dict(statuses)}); "
          f"Python CPU {cpu / total * 1000:.2f} ms per request (client included)")
    assert set(statuses) <= {201, 409}
