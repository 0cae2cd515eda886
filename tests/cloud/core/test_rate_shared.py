"""API rate limits shared by HTTP workers: two processes on one database grant a token its rate once.

Two ``SharedTokenBuckets`` on one real database (SQLite and PostgreSQL) under a simulated clock,
and two real ``posada cloud`` processes on one PostgreSQL database under real time.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.rate_limit import TokenBuckets
from cloud.core.rate_shared import SharedTokenBuckets
from cloud.core.rate_store import SqlBucketStore
from cloud.keys.storage import KeyDirectory
from tests.support.ports import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[3]
PER_MINUTE, BURST = 60, 10  # one a second


def _hammer(takers: list[TokenBuckets | SharedTokenBuckets], *, seconds: float, sync: object) -> int:
    """Every process offers a request every 10 ms for ``seconds``; reports every 250 ms."""
    allowed, step, now = 0, 0.01, 1_000_000.0
    for tick in range(int(seconds / step)):
        at = now + tick * step
        if tick % 25 == 0 and callable(sync):
            sync(at)
        allowed += sum(1 for taker in takers if taker.take("token", at) == 0.0)
    return allowed


def test_two_workers_on_one_database_grant_the_rate_once(db_url: str) -> None:
    engine = make_engine(db_url)
    store = SqlBucketStore(make_sessionmaker(engine))
    workers = [SharedTokenBuckets(store, per_minute=PER_MINUTE, burst=BURST, processes=2) for _ in range(2)]

    def sync(at: float) -> None:
        for worker in workers:
            worker.sync(at)

    try:
        allowed = _hammer(list(workers), seconds=30, sync=sync)
    finally:
        engine.dispose()
    ceiling = BURST + 30 * PER_MINUTE / 60
    assert ceiling - 3 <= allowed <= ceiling + 1  # the rate is used, and not doubled
    alone = [TokenBuckets(per_minute=PER_MINUTE, burst=BURST) for _ in range(2)]
    apart = _hammer(list(alone), seconds=30, sync=None)
    assert apart >= 2 * ceiling - 2  # what each worker on its own would have granted


def test_requests_not_reported_are_counted_next_round(sqlite_url: str) -> None:
    class Failing:
        def settle(self, spent: dict[str, int], *, now: float, rate: float, burst: float) -> dict[str, float]:
            raise OSError("database away")

        def forget(self, *, before: float) -> int:
            return 0

    engine = make_engine(sqlite_url)
    buckets = SharedTokenBuckets(Failing(), per_minute=PER_MINUTE, burst=BURST, processes=1)
    assert [buckets.take("token", 0.0) for _ in range(4)] == [0.0] * 4
    with pytest.raises(OSError):
        buckets.sync(0.1)
    buckets.store = SqlBucketStore(make_sessionmaker(engine))
    assert buckets.sync(0.2) == 1
    with engine.connect() as conn:
        left = conn.exec_driver_sql("SELECT tokens FROM api_rate_buckets").scalar_one()
    engine.dispose()
    assert left == pytest.approx(BURST - 4)


def test_a_worker_grants_its_share_before_it_hears_from_the_database() -> None:
    class Unused:
        def settle(self, spent: dict[str, int], *, now: float, rate: float, burst: float) -> dict[str, float]:
            raise AssertionError("not asked")

        def forget(self, *, before: float) -> int:
            raise AssertionError("not asked")

    buckets = SharedTokenBuckets(Unused(), per_minute=PER_MINUTE, burst=BURST, processes=2)
    assert sum(1 for _ in range(BURST) if buckets.take("token", 0.0) == 0.0) == BURST // 2
    assert buckets.take("token", 0.0) == pytest.approx(2.0)  # its half of the refill: one in two seconds


def test_buckets_refilled_long_ago_are_dropped(db_url: str) -> None:
    engine = make_engine(db_url)
    store = SqlBucketStore(make_sessionmaker(engine))
    buckets = SharedTokenBuckets(store, per_minute=PER_MINUTE, burst=BURST, processes=1)
    for i in range(5):
        buckets.take(f"made-up-{i}", 0.0)
    assert buckets.sync(0.0) == 5
    buckets.take("in-use", 30.0)
    buckets.sync(30.0)  # within a minute of the last forgetting: nothing dropped
    assert len(_keys(engine)) == 6
    buckets.take("in-use", 200.0)
    buckets.sync(200.0)  # the made-up ones, last read at 30 s: past a full refill (20 s from the
    assert _keys(engine) == ["in-use"]  # deepest debt) and a minute
    engine.dispose()


def _keys(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.exec_driver_sql("SELECT key FROM api_rate_buckets").scalars().all())


@contextmanager
def _clouds(db_url: str, tmp: Path, count: int) -> Iterator[list[str]]:
    """``count`` processes of ``posada cloud``, workers sharing the buckets (each its own port),
    started together and waited for together: each imports for seconds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POSADA_DATABASE_URL": db_url,
           "POSADA_MQTT_ENABLED": "false", "POSADA_LOG_LEVEL": "WARNING",
           "POSADA_KEYS_DIR": str(tmp / "keys"),
           "POSADA_HTTP_WORKERS": "2", "POSADA_API_RATE_PER_MINUTE": str(PER_MINUTE),
           "POSADA_API_RATE_BURST": str(BURST), "POSADA_API_RATE_SYNC_MS": "100",
           "POSADA_SECRET_KEY": secrets.token_hex(32),
           "POSADA_GUEST_KEYS": "k1=" + base64.b64encode(secrets.token_bytes(32)).decode(),
           "POSADA_GUEST_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
    # The signing keys made before either starts, as the first of two workers would have left them.
    KeyDirectory(str(tmp / "keys")).load_or_create(now=datetime.now(UTC) - timedelta(days=1))
    started: list[tuple[subprocess.Popen[bytes], int, Path]] = []
    try:
        for _ in range(count):
            port = free_port()
            log = tmp / f"cloud-{port}.log"
            with log.open("wb") as out:
                command = [sys.executable, "-m", "posada.cli", "cloud", "--port", str(port), "--workers", "1"]
                proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
            started.append((proc, port, log))
        try:
            for _proc, port, _log in started:
                wait_for_port(port, timeout=120)
            yield [f"http://127.0.0.1:{port}" for _proc, port, _log in started]
        except BaseException:
            for _proc, _port, log in started:
                print(log.read_text(errors="replace")[-3000:])
            raise
    finally:
        for proc, _port, _log in started:
            proc.terminate()
        for proc, _port, _log in started:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_two_cloud_processes_share_a_tokens_rate(pg_url: str, tmp_path: Path) -> None:
    seconds = 6.0
    with ExitStack() as stack:
        urls = stack.enter_context(_clouds(pg_url, tmp_path, 2))
        clients = [stack.enter_context(httpx.Client(base_url=url, timeout=10)) for url in urls]
        headers = {"Authorization": f"Bearer psa_{secrets.token_urlsafe(16)}"}
        granted = [0, 0]
        refused = 0
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            for i, client in enumerate(clients):
                answer = client.get("/api/v1/health", headers=headers)
                if answer.status_code == 429:
                    refused += 1
                else:
                    granted[i] += 1
            time.sleep(0.01)
        span = time.monotonic() - start
    ceiling = BURST + span * PER_MINUTE / 60
    print(f"\n[shared api rate] two processes, {span:.1f} s: granted {granted} (ceiling {ceiling:.1f}), "
          f"refused {refused}")
    assert refused > 0 and min(granted) > 0  # both processes served the token, and both refused it
    assert sum(granted) <= ceiling + 2  # apart, they would have granted about twice the ceiling
