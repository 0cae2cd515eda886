"""Events per second from a gateway's outbox through Mosquitto into the cloud's database.

The gateway runs as its own process (``posada edge``) with N events already in its outbox;
the cloud's ingest runs here. The raw broker rate (mosquitto_pub -> mosquitto_sub, QoS 1) is
measured on the same broker in the same run, and the ratio is the figure.
Run: ./dev.sh bench -k ingest   (POSADA_BENCH_EVENTS sets N, default 50,000)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cloud.board.models import EventRecord
from cloud.board.partitions import EventPartitions, months_ahead
from cloud.core.db import make_engine
from cloud.core.migrate import upgrade
from edge.store import Store
from mqtt.batch import batch_json, item_json
from mqtt.codec import encode
from mqtt.envelope import utcnow
from mqtt.messages import AccessDecision
from tests.bench.raw_mqtt import (
    cpu_seconds,
    load_average,
    publish_chunks,
    raw_rate,
    reference_seconds,
    write_chunks,
)
from tests.support.broker import make_broker
from tests.support.pg import fresh_database

pytestmark = pytest.mark.bench
N = int(os.environ.get("POSADA_BENCH_EVENTS", "50000"))
GATEWAY_COUNT = int(os.environ.get("POSADA_BENCH_GATEWAYS", "3"))
GATEWAYS = [("hotel", "f1"), ("hotel", "f2"), ("hotel", "f3")][:GATEWAY_COUNT]
ROOMS = [f"1{n:02d}" for n in range(1, 11)]


def _prefill(db_path: Path, count: int) -> None:
    store = Store(db_path)
    for start in range(0, count, 1000):
        with store.transaction():
            for i in range(start, min(start + 1000, count)):
                data = AccessDecision(
                    room=ROOMS[i % 10], granted=True, reason="granted", credential_id=f"card-{i % 500}"
                ).model_dump(mode="json")
                store.append_event(type="access.granted", data=data, room=ROOMS[i % 10], created=utcnow())
    store.close()


def _gateway_config(path: Path, *, floor: str, url: str, data_dir: Path) -> Path:
    path.write_text(
        f'site = "hotel"\nfloor = "{floor}"\nrooms = {ROOMS!r}\n'.replace("'", '"')
        + f'mqtt_url = "{url}"\nmqtt_protocol = "3.1.1"\ndata_dir = "{data_dir}"\n'
        "site_number = 1\nfloor_number = 1\nsim_rate = 0.001\n"
    )
    return path


def _partitions_ahead(engine, site: str = "hotel") -> None:  # type: ignore[no-untyped-def]
    """The property's partitions of ``events`` (PostgreSQL), made before the clock starts, as the
    cloud's periodic round makes them ahead for every known property: a fresh database knows no
    property, and making them inside the timed part cost 0.3-0.6 s of a 1-2 s run."""
    EventPartitions(engine).ensure((site, month) for month in months_ahead(utcnow()))


def _start_worker(
    mqtt_url: str, db_url: str, client_id: str, share_group: str | None = None
) -> subprocess.Popen[str]:
    """One ingest worker in a process of its own (its CPU time is read from /proc)."""
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.bench.ingest_worker",
            mqtt_url,
            db_url,
            client_id,
            *([share_group] if share_group else []),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None and worker.stdout.readline().strip() == "connected"
    return worker


def _stop_worker(worker: subprocess.Popen[str]) -> str:
    worker.terminate()
    return worker.communicate(timeout=60)[0].strip()


def _run(db_url: str, tmp_path: Path, label: str) -> None:
    broker = make_broker(persistence=False)
    try:
        reference = reference_seconds()
        raw = raw_rate(broker, count=N)
        data_dir = tmp_path / label
        configs = []
        for site, floor in GATEWAYS:
            configs.append(
                _gateway_config(
                    tmp_path / f"{label}-{floor}.toml",
                    floor=floor,
                    url=broker.gateway_url(site, floor),
                    data_dir=data_dir,
                )
            )
            _prefill(data_dir / f"gateway-{site}-{floor}.db", N // len(GATEWAYS))
        total = N // len(GATEWAYS) * len(GATEWAYS)
        engine = make_engine(db_url)
        upgrade(engine)
        _partitions_ahead(engine)
        worker = _start_worker(broker.cloud_url, db_url, f"bench-{label}")
        logs = [tmp_path / f"{label}-{floor}.log" for _, floor in GATEWAYS]
        launched = time.perf_counter()
        gateways = [
            subprocess.Popen(
                [sys.executable, "-m", "posada.cli", "edge", "--config", str(c)],
                stdout=subprocess.DEVNULL,
                stderr=log.open("wb"),
            )
            for c, log in zip(configs, logs, strict=True)
        ]
        try:
            # The clock starts once every gateway is connected: a gateway process spends seconds
            # importing on this machine, which is start-up, not the chain's rate.
            _wait_connected(logs, timeout=120)
            load = load_average()
            cpu_before = [cpu_seconds(p.pid) for p in (worker, *gateways)]
            start = time.perf_counter()
            at_start = _count(engine)
            stored = _wait_for(engine, total, timeout=600)
            elapsed = time.perf_counter() - start
            with_startup = time.perf_counter() - launched
            drained = all(
                _wait_outbox_empty(data_dir / f"gateway-{s}-{f}.db", timeout=60) for s, f in GATEWAYS
            )
            cpu = [cpu_seconds(p.pid) - b for p, b in zip((worker, *gateways), cpu_before, strict=True)]
        finally:
            for gateway in gateways:
                gateway.terminate()
                gateway.wait(10)
            counters = _stop_worker(worker)
            engine.dispose()
        rate = (stored - at_start) / elapsed
        moved = max(1, stored - at_start)
        print(
            f"\n[ingest {label}] {stored} events from {len(GATEWAYS)} gateway outboxes"
            f"->Mosquitto->{label}: {stored - at_start} of them in {elapsed:.2f} s after every gateway "
            f"was connected = {rate:,.0f} events/s; raw mosquitto_pub->sub QoS 1 on the same broker: "
            f"{raw:,.0f} msg/s; ratio {rate / raw:.2f}; with gateway start-up {stored / with_startup:,.0f}"
            f"/s; CPU per 1,000 events: gateways {1000 * sum(cpu[1:]) / moved:.3f} s (relay and "
            f"confirmations, all {len(GATEWAYS)}), worker {1000 * cpu[0] / moved:.3f} s; "
            f"outbox drained after confirmations: {drained}; worker: {counters}; "
            f"load average {load}; reference loop {reference:.2f} s"
        )
        assert stored == total
        assert "duplicates 0" in counters
        assert rate > 500, "gross regression"
    finally:
        broker.stop()


def _wait_connected(logs: list[Path], *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not all(b"connected as" in log.read_bytes() for log in logs):
        assert time.monotonic() < deadline, "a gateway did not connect"
        time.sleep(0.02)


def _count(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(EventRecord)).scalar_one())


def _wait_for(engine, count: int, *, timeout: float) -> int:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    n = 0
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(EventRecord)).scalar_one()
        if n >= count:
            return int(n)
        time.sleep(0.05)
    return int(n)


def _wait_outbox_empty(db_path: Path, *, timeout: float) -> bool:
    import sqlite3

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(db_path) as conn:
            if conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0:
                return True
        time.sleep(0.1)
    return False


def test_ingest_rate_into_postgresql(tmp_path: Path) -> None:
    with fresh_database() as url:
        _run(url, tmp_path, "postgresql")


def test_ingest_rate_into_sqlite(tmp_path: Path) -> None:
    _run(f"sqlite:///{tmp_path / 'cloud.db'}", tmp_path, "sqlite")


def _event_lines(user: str, *, per_message: int) -> Iterator[bytes]:
    """N events as mosquitto_pub lines: one event per line, or ``events.batch`` of ``per_message``."""
    items: list[str] = []
    for i in range(N):
        data = AccessDecision(
            room=ROOMS[i % 10], granted=True, reason="granted", credential_id=f"card-{i % 500}"
        )
        event = encode(type="access.granted", source=user, seq=i + 1, data=data)
        if per_message == 1:
            yield event.to_json() + b"\n"
            continue
        items.append(
            item_json(
                id=event.id,
                type=event.type,
                ts=event.ts,
                seq=i + 1,
                data_json=json.dumps(event.data, separators=(",", ":")),
            )
        )
        if len(items) == per_message or i == N - 1:
            yield batch_json(items, source=user) + b"\n"
            items = []


def _worker_only(db_url: str, label: str, *, per_message: int = 1, workers: int = 1) -> None:
    """One ingest worker (own process) fed by mosquitto_pub (QoS 1): the worker's own ceiling."""
    broker = make_broker(persistence=False)
    try:
        reference = reference_seconds()
        raw = raw_rate(broker, count=N)
        engine = make_engine(db_url)
        upgrade(engine)
        _partitions_ahead(engine)
        share = "bench" if workers > 1 else None
        pool = [
            _start_worker(broker.cloud_url, db_url, f"bench-worker-{label}-{n}", share)
            for n in range(workers)
        ]
        user = "gw.hotel.f1"
        try:
            with tempfile.TemporaryDirectory() as tmp:
                files = write_chunks(Path(tmp), _event_lines(user, per_message=per_message))
                load = load_average()
                cpu_before = sum(cpu_seconds(w.pid) for w in pool)
                began = time.perf_counter()
                publish_chunks(broker, user=user, topic="posada/v1/hotel/f1/events", files=files)
                stored = _wait_for(engine, N, timeout=600)
                elapsed = time.perf_counter() - began
                cpu = sum(cpu_seconds(w.pid) for w in pool) - cpu_before
        finally:
            counters = "; ".join(_stop_worker(w) for w in pool)
            engine.dispose()
        rate = stored / elapsed
        print(
            f"\n[ingest worker {label}] {stored} events ({per_message} per message) mosquitto_pub->Mosquitto"
            f"->{workers} ingest worker(s)->"
            f"{label}: {elapsed:.2f} s = {rate:,.0f} events/s; raw mosquitto_pub->sub QoS 1 on the same "
            f"broker: {raw:,.0f} msg/s; ratio {rate / raw:.2f}; worker CPU per 1,000 events "
            f"{1000 * cpu / max(1, stored):.3f} s; worker: {counters}; load average {load}; "
            f"reference loop {reference:.2f} s"
        )
        assert stored == N
        assert all("duplicates 0" in part for part in counters.split("; "))
    finally:
        broker.stop()


def test_one_ingest_worker_into_postgresql() -> None:
    with fresh_database() as url:
        _worker_only(url, "postgresql")


def test_one_ingest_worker_into_sqlite(tmp_path: Path) -> None:
    _worker_only(f"sqlite:///{tmp_path / 'cloud.db'}", "sqlite")


def test_one_ingest_worker_into_postgresql_from_batches() -> None:
    """The same events as gateways now send them: ``events.batch`` of 200 per message."""
    with fresh_database() as url:
        _worker_only(url, "postgresql", per_message=200)


def test_one_ingest_worker_into_sqlite_from_batches(tmp_path: Path) -> None:
    _worker_only(f"sqlite:///{tmp_path / 'cloud.db'}", "sqlite", per_message=200)


def test_two_ingest_workers_share_postgresql_from_batches() -> None:
    """Two workers on one shared subscription ($share/bench/...): the ceiling of two on this machine."""
    with fresh_database() as url:
        _worker_only(url, "postgresql", per_message=200, workers=2)
