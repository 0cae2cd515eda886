"""What the shared API rate limit costs a request: the in-memory decision of one worker beside the
single-process bucket, and one report round (the upsert every ``API_RATE_SYNC_MS``) on PostgreSQL.

Run: ``./dev.sh bench -k api_rate``. Printed with the machine-speed reference loop of the other
benchmarks."""

from __future__ import annotations

import time

import pytest

from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.rate_limit import TokenBuckets
from cloud.core.rate_shared import SharedTokenBuckets
from cloud.core.rate_store import SqlBucketStore
from tests.bench.test_reservations_bench import _reference_seconds

pytestmark = pytest.mark.bench
CALLS = 200_000
TOKENS = 50  # tokens in use at once (each worker reports every one it saw)


def _per_call_us(take: object) -> float:
    assert callable(take)
    start = time.perf_counter()
    for i in range(CALLS):
        take(f"token-{i % TOKENS}", 1000.0 + i * 1e-4)
    return (time.perf_counter() - start) / CALLS * 1e6


def test_a_shared_decision_costs_what_a_local_one_does(pg_url: str) -> None:
    engine = make_engine(pg_url)
    store = SqlBucketStore(make_sessionmaker(engine))
    local = TokenBuckets(per_minute=10**8, burst=10**6)
    shared = SharedTokenBuckets(store, per_minute=10**8, burst=10**6, processes=2)
    print(f"\n[api rate] reference loop {_reference_seconds():.2f} s")
    local_us, shared_us = _per_call_us(local.take), _per_call_us(shared.take)
    print(f"  decision per request: local bucket {local_us:.2f} us, shared worker's share {shared_us:.2f} us")
    rounds: list[float] = []
    cpus: list[float] = []  # this process's CPU (the database server's is apart)
    try:
        shared.sync(1999.0)  # the first round opens the pool's connection
        for i in range(40):
            now = 2000.0 + i * 0.25
            for t in range(TOKENS):
                shared.take(f"token-{t}", now)
            start, cpu = time.perf_counter(), time.thread_time()
            shared.sync(now)
            rounds.append(time.perf_counter() - start)
            cpus.append(time.thread_time() - cpu)
    finally:
        engine.dispose()
    rounds.sort()
    cpus.sort()
    p50, cpu50 = rounds[len(rounds) // 2], cpus[len(cpus) // 2]
    print(f"  report round ({TOKENS} tokens, one upsert): wall p50 {p50 * 1e3:.2f} ms, max "
          f"{rounds[-1] * 1e3:.2f} ms; the worker's CPU p50 {cpu50 * 1e3:.2f} ms, every 250 ms "
          f"{cpu50 / 0.25 * 100:.2f} % of a core")
    print(f"  reference loop after: {_reference_seconds():.2f} s")
    assert shared_us < 50 and p50 < 0.25
