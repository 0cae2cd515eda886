"""Reading 500 reservations on PostgreSQL: with the guest's name, e-mail and phone opened, and the
same rows read without opening them (the same run's reference).

Run: ``PYTHONPATH=$PWD python -m pytest tests/bench/test_pii_bench.py -m bench -s -p no:randomly -n 0``.
Run the same file against a checkout before sealed copies for the before figure (it then prints
only the first line, the plain read).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Text, select, type_coerce
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog.models import RatePlan, RoomType
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import upgrade
from cloud.reservations.models import Reservation
from cloud.setup.demo import seed_demo
from mqtt.envelope import new_id
from tests.support.pg import fresh_database

pytestmark = pytest.mark.bench
ROWS = 500
ROUNDS = 30
NOW = datetime(2027, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def loaded() -> Iterator[sessionmaker[Session]]:
    with fresh_database("posada_bench") as url:
        engine = make_engine(url)
        upgrade(engine)
        sessions: sessionmaker[Session] = make_sessionmaker(engine)
        with sessions.begin() as s:
            prop = seed_demo(s)
            type_id = s.scalars(select(RoomType.id).where(RoomType.property_id == prop.id)).first()
            plan_id = s.scalars(select(RatePlan.id).where(RatePlan.property_id == prop.id)).first()
            assert type_id is not None and plan_id is not None
            for i in range(ROWS):
                arrival = date(2027, 3, 1) + timedelta(days=i % 60)
                s.add(
                    Reservation(
                        id=new_id(),
                        property_id=prop.id,
                        guest_name=f"Guest Number{i} Fernández",
                        guest_email=f"guest{i}@example.org",
                        guest_phone=f"+34 600 {i:06d}",
                        adults=2,
                        room_type_id=type_id,
                        inventory_type_id=type_id,
                        rate_plan_id=plan_id,
                        arrival=arrival,
                        departure=arrival + timedelta(days=2),
                        currency="EUR",
                        total_minor=20000,
                        deposit_required_minor=0,
                        checkout_due_at=NOW,
                        created_at=NOW,
                    )
                )
        yield sessions
        engine.dispose()


def _timed(fn: Callable[[], Any]) -> tuple[float, float]:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def test_a_list_of_500_reservations_with_guest_data(loaded: sessionmaker[Session]) -> None:
    def opened() -> None:
        with loaded() as s:
            rows = s.scalars(select(Reservation)).all()
            assert len(rows) == ROWS and all(r.guest_name for r in rows)

    def raw() -> None:
        with loaded() as s:
            columns = [c for c in Reservation.__table__.columns]
            rows = s.execute(
                select(*(type_coerce(c, Text) if c.name.endswith("_enc") else c for c in columns))
            ).all()
            assert len(rows) == ROWS

    def core() -> None:
        with loaded() as s:
            assert len(s.execute(select(*Reservation.__table__.columns)).all()) == ROWS

    p50, p95 = _timed(opened)
    print(f"\n500 reservations, ORM list with name/e-mail/phone: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    c50, c95 = _timed(core)
    print(f"500 reservations, Core rows with name/e-mail/phone: p50 {c50:.1f} ms, p95 {c95:.1f} ms")
    if any(c.name.endswith("_enc") for c in Reservation.__table__.columns):
        r50, r95 = _timed(raw)
        print(f"same Core rows, sealed columns not opened (reference): p50 {r50:.1f} ms, p95 {r95:.1f} ms")
