"""The channel manager on PostgreSQL: change -> ARI accepted by the stand-in OTA while 20
bookings/s arrive from three channels, and a full one-year resync of 20 room types x 3 plans.

Figures are printed with a same-run reference (one ARI request to the stand-in, alone), never
timed pass/fail. Run: ``./dev.sh bench -k channels``.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog import service as catalog
from cloud.catalog.models import Floor, RatePlan, RatePrice, Room, RoomType
from cloud.channels import outbox, registry
from cloud.channels import sender as sender_module
from cloud.channels.context import build_pusher
from cloud.channels.models import Channel
from cloud.channels.ota import ari_messages, inbound, standin
from cloud.channels.ota.client import OtaChannel
from cloud.channels.ota.xml import serialize
from cloud.channels.port import AriItem, AriRange, AriUpdate, NightAri
from cloud.channels.pusher import AriPusher, PushSettings
from cloud.channels.settings import ChannelSettings
from cloud.core.clock import utcnow
from cloud.core.db import make_sessionmaker
from cloud.settings import Settings
from tests.bench.raw_mqtt import reference_seconds
from tests.support.db import migrated_engine

pytestmark = pytest.mark.bench
NOW = datetime.now(UTC)  # the sender process keeps the real clock
TODAY = NOW.date()
HOTEL = "BENCH-1"
RATE_PER_S = 20
SECONDS = 10
ROOMS_EACH = 20  # rooms of each type in the bookings' race: a booked night counts one fewer


def _property(session: Session, *, types: int, plans: int, rooms_each: int) -> None:
    prop = catalog.create_property(session, slug="bench", name="Bench", timezone="UTC", currency="EUR")
    floor = Floor(property_id=prop.id, slug="f1", level=1)
    session.add(floor)
    session.flush()
    number = 1
    for t in range(types):
        type_ = RoomType(property_id=prop.id, code=f"t{t:02d}", name=f"Type {t}", max_guests=2, rank=t)
        session.add(type_)
        session.flush()
        for _ in range(rooms_each):
            session.add(
                Room(
                    property_id=prop.id,
                    floor_id=floor.id,
                    room_type_id=type_.id,
                    slug=f"r{number}",
                    number=number,
                )
            )
            number += 1
        for p in range(plans):
            plan = session.scalar(
                select(RatePlan).where(RatePlan.property_id == prop.id, RatePlan.code == f"p{p}")
            )
            if plan is None:
                plan = RatePlan(property_id=prop.id, code=f"p{p}", name=f"Plan {p}")
                session.add(plan)
                session.flush()
            session.add(
                RatePrice(rate_plan_id=plan.id, room_type_id=type_.id, amount_minor=9000 + 500 * t + 100 * p)
            )
            session.add(
                RatePrice(
                    rate_plan_id=plan.id, room_type_id=type_.id, amount_minor=11000 + 500 * t, weekdays=[4, 5]
                )
            )


def _channels(sessions: sessionmaker[Session], url: str, *, count: int, types: int, plans: int) -> list[str]:
    secrets = []
    with sessions.begin() as session:
        prop = catalog.get_property(session, "bench")
        for c in range(count):
            channel, secret = registry.create(
                session,
                prop,
                registry.NewChannel(
                    code=f"ch{c}",
                    name=f"Channel {c}",
                    kind="ota",
                    hotel_code=HOTEL,
                    endpoint_url=url,
                    calls_per_minute=6000,
                ),
                now=NOW,
            )
            for t in range(types):
                for p in range(plans):
                    registry.set_mapping(
                        session,
                        channel,
                        room_type=f"t{t:02d}",
                        rate_plan=f"p{p}",
                        room_code=f"T{t:02d}",
                        rate_code=f"P{p}",
                    )
            secrets.append(secret)
    return secrets


@pytest.fixture
def ota() -> Iterator[standin.StandInOta]:
    server = standin.StandInOta(hotel_code=HOTEL, per_minute=100_000).start()
    yield server
    server.stop()


def _pusher(sessions: sessionmaker[Session], client: httpx.Client, interval: float) -> AriPusher:
    return AriPusher(
        sessions,
        clock=lambda: NOW,
        settings=PushSettings(horizon_days=365, interval_s=interval),
        port_for=lambda ch: OtaChannel(client, url=ch.endpoint_url or "", clock=lambda: NOW),
    )


def _reference(url: str, client: httpx.Client, rounds: int = 50) -> list[float]:
    """One counts request for one night, built, sent and its answer read: the floor of a push."""
    update = AriUpdate(
        kind="counts",
        hotel_code=HOTEL,
        currency="EUR",
        decimals=2,
        after_tax=False,
        items=(AriItem("T00", None, (AriRange(TODAY, TODAY, NightAri(3, 9000)),)),),
    )
    port = OtaChannel(client, url=url, clock=lambda: NOW)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        port.push(update)
        times.append(time.perf_counter() - start)
    return times


def _quantiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=20)
    return cuts[9], cuts[18]


def _standin_process(hotel: str, port: Any, seen: Any) -> None:
    """The stand-in OTA in a process of its own (as a channel is): tells the bench, per accepted
    counts request, when it was accepted and which nights it carried."""

    def tell(received: standin.Received) -> None:
        if received.root == "OTA_HotelInvCountNotifRQ":
            spans = [
                (
                    inv.find("{*}StatusApplicationControl").get("Start"),
                    inv.find("{*}StatusApplicationControl").get("End"),
                    int(inv.find("{*}InvCounts/{*}InvCount").get("Count")),
                )
                for inv in received.document.iter("{*}Inventory")
            ]
            seen.put((received.at, spans))

    server = standin.StandInOta(hotel_code=hotel, per_minute=100_000, on_accept=tell).start()
    port.put(server.url)
    while True:
        time.sleep(3600)


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_change_to_ari_accepted_while_three_channels_book(pg_url: str, mode: str) -> None:
    """``process``: the sender as the cloud runs it on PostgreSQL (its own process, woken by
    NOTIFY); ``thread``: the sender in the bookings' own process (the cloud on SQLite, and the
    shape measured before), for comparison in the same run."""
    spawn: Any = multiprocessing.get_context("spawn")
    url_q, seen = spawn.Queue(), spawn.Queue()
    ota_process = spawn.Process(target=_standin_process, args=(HOTEL, url_q, seen), daemon=True)
    ota_process.start()
    url = url_q.get(timeout=60)
    engine = migrated_engine(pg_url, pool_size=20, max_overflow=20)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        _property(session, types=4, plans=1, rooms_each=ROOMS_EACH)
    secrets = _channels(sessions, url, count=3, types=4, plans=1)
    client = httpx.Client(timeout=10)
    reference = _reference(url, client)
    _drain(seen)
    settings = Settings(
        database_url=pg_url, channels=ChannelSettings(channels_sender=mode, channels_idle_s=5)
    )
    if mode == "process":
        sender = spawn.Process(target=sender_module._child, args=(settings,), daemon=True)
        sender.start()
        pusher = None
    else:
        pusher = build_pusher(sessions, settings.channels, clock=utcnow, client=client)
        pusher.start()
    _listening(engine)  # the sender is up (a process imports for seconds on a loaded machine)
    _warm_up(sessions, secrets[0], seen)  # and has sent once: its first round is out of the figure
    committed: dict[date, tuple[float, float]] = {}  # night -> booking sent, booking answered
    total = RATE_PER_S * SECONDS
    load_before = os.getloadavg()

    def send(n: int) -> None:
        night = TODAY + timedelta(days=1 + n)  # one night each: its own change to follow
        doc = standin.reservation(
            hotel_code=HOTEL,
            confirmation=f"B{n}",
            room_code=f"T{n % 4:02d}",
            rate_code="P0",
            arrival=night,
            departure=night + timedelta(days=1),
            total="90.00",
        )
        sent_at = time.monotonic()
        status, _ = inbound.receive(sessions, secret=secrets[n % 3], body=doc, clock=utcnow, ledger=None)
        assert status == 200
        committed[night] = (sent_at, time.monotonic())

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=6) as pool:
        for n in range(total):
            pool.submit(send, n)
            time.sleep(max(0.0, started + (n + 1) / RATE_PER_S - time.monotonic()))
    booked_s = time.monotonic() - started
    deadline = time.monotonic() + 30
    accepted: list[tuple[float, list[tuple[str, str, int]]]] = []
    latencies: list[float] = []
    while time.monotonic() < deadline:
        accepted.extend(_drain(seen))
        latencies = _latencies(accepted, committed)
        if len(latencies) == total:
            break
        time.sleep(0.2)
    if pusher is not None:
        pusher.stop()
        print(f"\n  thread sender: {pusher.rounds} rounds, {pusher.requests} requests")
    else:
        sender.terminate()
        sender.join(10)
    ota_process.terminate()
    client.close()
    engine.dispose()
    ref50, ref95 = _quantiles(reference)
    p50, p95 = _quantiles(latencies)
    print(
        f"\nchannels [{mode}]: {total} bookings from 3 channels in {booked_s:.1f} s "
        f"({total / booked_s:.1f}/s); {len(latencies)} changes seen accepted by the stand-in "
        f"(inventory counts), {len(accepted)} counts requests"
    )
    load_after = os.getloadavg()
    print(
        f"  load average (1/5/15 min) {'/'.join(f'{v:.1f}' for v in load_before)} before, "
        f"{'/'.join(f'{v:.1f}' for v in load_after)} after, on {os.cpu_count()} CPUs"
    )
    print(
        f"  change -> ARI accepted: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms"
    )
    print(
        f"  reference, one ARI request alone: p50 {ref50 * 1000:.1f} ms, p95 {ref95 * 1000:.1f} ms "
        f"(ratio p50 {p50 / ref50:.0f}x); pure-Python loop {reference_seconds():.2f} s"
    )
    assert len(latencies) == total


def _warm_up(sessions: sessionmaker[Session], secret: str, seen: Any, timeout_s: float = 120) -> None:
    night = TODAY + timedelta(days=300)
    doc = standin.reservation(
        hotel_code=HOTEL,
        confirmation="WARM",
        room_code="T00",
        rate_code="P0",
        arrival=night,
        departure=night + timedelta(days=1),
        total="90.00",
    )
    assert inbound.receive(sessions, secret=secret, body=doc, clock=utcnow, ledger=None)[0] == 200
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(start == night.isoformat() for _at, spans in _drain(seen) for start, _end, _count in spans):
            time.sleep(0.5)  # the rest of that round (the other channels) lands too
            _drain(seen)
            return
        time.sleep(0.1)
    raise AssertionError("the sender never sent the warm-up booking")


def _listening(engine: Any, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN %'")
            ).scalar():
                return
        time.sleep(0.2)
    raise AssertionError("the sender never listened")


def _drain(seen: Any) -> list[tuple[float, list[tuple[str, str, int]]]]:
    out = []
    while True:
        try:
            out.append(seen.get_nowait())
        except queue.Empty:
            return out


def _latencies(
    accepted: list[tuple[float, list[tuple[str, str, int]]]],
    committed: dict[date, tuple[float, float]],
    booked_count: int = ROOMS_EACH - 1,
) -> list[float]:
    """Per night, from the booking's answer (its commit is just before) to the first counts
    request accepted that carries it (the night's count one below the rooms of its type); one
    accepted before the answer (the sender was quicker than the booking's reply) counts from when
    the booking was sent, which is longer than the truth."""
    first_seen: dict[date, float] = {}
    for at_s, spans in accepted:
        for start, end, count in spans:
            night, last = date.fromisoformat(start), date.fromisoformat(end)
            while night <= last:
                at = committed.get(night)
                if at is not None and count == booked_count and at_s >= at[0] and night not in first_seen:
                    first_seen[night] = at_s - (at[1] if at_s >= at[1] else at[0])
                night += timedelta(days=1)
    return list(first_seen.values())


def test_full_year_resync_of_twenty_types_and_three_plans(pg_url: str, ota: standin.StandInOta) -> None:
    engine = migrated_engine(pg_url, pool_size=10, max_overflow=10)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        _property(session, types=20, plans=3, rooms_each=2)
    _channels(sessions, ota.url, count=1, types=20, plans=3)
    client = httpx.Client(timeout=30)
    reference = _reference(ota.url, client, rounds=30)
    ota.accepted.clear()
    with sessions.begin() as session:
        session.execute(text("DELETE FROM channel_changes"))
        channel = session.scalars(select(Channel)).one()
        start = time.perf_counter()
        queued = outbox.resync(session, channel, now=NOW, horizon_days=365)
    pusher = _pusher(sessions, client, interval=0.01)
    requests = 0
    while True:
        sent = pusher.tick()
        requests += sent
        if sent == 0:
            break
    elapsed = time.perf_counter() - start
    size = sum(len(serialize(r.document)) for r in ota.accepted)
    ranges = sum(1 for r in ota.accepted for _ in r.document.iter("{*}StatusApplicationControl"))
    ref50, _ = _quantiles(reference)
    print(
        f"\nchannels: full resync, 20 room types x 3 rate plans x 365 nights: {queued} queued messages, "
        f"{requests} requests ({ranges} ranges, {size / 1e6:.1f} MB of XML) in {elapsed:.1f} s"
    )
    print(
        f"  reference, one ARI request alone: p50 {ref50 * 1000:.1f} ms; the resync is "
        f"{elapsed / ref50:.0f}x one request"
    )
    client.close()
    engine.dispose()
    assert requests == len(ota.accepted) and not ota.refused
    _ = ari_messages
