"""Benchmark: what a guest page pays for its per-client count, in memory (one worker) and shared
through the database (several workers): SQLite file and PostgreSQL, one upsert per counted request."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.db import make_sessionmaker
from cloud.guestweb.rate_limit import Limiter, RateLimiter
from cloud.guestweb.rate_store import DatabaseRateLimiter
from tests.bench.raw_mqtt import load_average, reference_seconds
from tests.support.db import migrated_engine

SAMPLES = 400

pytestmark = pytest.mark.bench


def _per_call_ms(limiter: Limiter) -> tuple[float, float]:
    times = []
    for n in range(SAMPLES):
        started = time.perf_counter()
        limiter.allow(f"203.0.113.{n % 200}", "search", per_window=60, window_s=60, now=float(n))
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * len(times))]


def _shared(url: str) -> tuple[float, float]:
    engine = migrated_engine(url)
    try:
        sessions: sessionmaker[Session] = make_sessionmaker(engine)
        return _per_call_ms(DatabaseRateLimiter(sessions))
    finally:
        engine.dispose()


def test_the_cost_of_a_counted_request(tmp_path: Path, pg_url: str) -> None:
    reference = reference_seconds()
    rows = {"memory": _per_call_ms(RateLimiter()), "sqlite": _shared(f"sqlite:///{tmp_path / 'c.db'}"),
            "postgresql": _shared(pg_url)}
    print(f"\nper-client count, {SAMPLES} requests (load {load_average()}, reference {reference:.2f} s):")
    for name, (p50, p95) in rows.items():
        print(f"  {name:<10} p50 {p50:.3f} ms  p95 {p95:.3f} ms")
