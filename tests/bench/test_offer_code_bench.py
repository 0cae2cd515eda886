"""What an offer code costs and whether its answer's timing tells codes apart: 400 checks each of
an unknown code, a used-up one, another hotel's and a good one (SQLite, the demo hotel), p50 and
p95 beside the reference loop. A booking with no promotion plan checks nothing (0 statements).
Run: ``.venv/bin/python -m pytest -m bench -s -p no:xdist tests/bench/test_offer_code_bench.py``.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from cloud.auth.roles import Principal, Role
from cloud.core.db import make_engine, make_sessionmaker
from cloud.loyalty.errors import OfferRefused
from cloud.loyalty.promotions import codes, online, service
from cloud.loyalty.promotions.models import Promotion
from cloud.setup.demo import seed_demo
from mqtt.envelope import new_id, utcnow
from tests.bench.raw_mqtt import reference_seconds
from tests.support.db import migrated_sqlite

pytestmark = pytest.mark.bench
SECRET = "bench-offer-secret-key-0123456789"
HQ = Principal(
    user_id="hq", username="hq", display_name="HQ", role=Role.CHAIN_ADMIN, chain="posada-demo", site=None
)
TODAY, ARRIVAL = date(2027, 3, 1), date(2027, 4, 6)


def _promotion(code: str) -> Promotion:
    return Promotion(
        id=new_id(),
        chain="posada-demo",
        code=code,
        kind="seasonal",  # a code-only offer (a member rate would also need a membership)
        names={"en": code},
        base_plan="flex",
        room_types=[],
        price_rule="percent_off",
        price_value=20,
        stay_from=date(2027, 3, 1),
        stay_until=date(2027, 6, 1),
        weekdays=None,
        min_nights=1,
        extras=[],
        code_only=True,
        opt_out=True,
        multiplier_pct=100,
        bonus_points=0,
        status="active",
        created_by="hq",
        created_at=utcnow(),
    )


def test_offer_code_checks_take_the_same_time_whatever_the_answer(tmp_path: Path) -> None:
    engine = make_engine(migrated_sqlite(tmp_path / "cloud.db"))
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        seed_demo(session)
        here, elsewhere = _promotion("here"), _promotion("elsewhere")
        session.add_all([here, elsewhere])
        session.flush()
        service.push(session, here, site="hotel", actor=HQ, now=utcnow())
        (good,) = codes.issue(
            session, here, secret=SECRET, count=1, max_uses=1, valid_until=ARRIVAL, actor=HQ, now=utcnow()
        )
        (spent,) = codes.issue(
            session, here, secret=SECRET, count=1, max_uses=1, valid_until=ARRIVAL, actor=HQ, now=utcnow()
        )
        (foreign,) = codes.issue(
            session,
            elsewhere,
            secret=SECRET,
            count=1,
            max_uses=1,
            valid_until=ARRIVAL,
            actor=HQ,
            now=utcnow(),
        )
        codes.claim(
            session,
            codes.check(
                session,
                secret=SECRET,
                code=spent,
                site="hotel",
                today=TODAY,
                arrival=ARRIVAL,
                departure=ARRIVAL + timedelta(days=1),
            ),
        )
    reference = reference_seconds()
    rows = {}
    with sessions() as session:
        for name, code in (
            ("unknown", "ZZZZZ-ZZZZZ"),
            ("used up", spent),
            ("another hotel's", foreign),
            ("good", good),
        ):
            times = []
            for _ in range(400):
                started = time.perf_counter()
                with contextlib.suppress(OfferRefused):
                    codes.check(
                        session,
                        secret=SECRET,
                        code=code,
                        site="hotel",
                        today=TODAY,
                        arrival=ARRIVAL,
                        departure=ARRIVAL + timedelta(days=1),
                    )
                times.append(time.perf_counter() - started)
            times.sort()
            rows[name] = (statistics.median(times) * 1e6, times[int(len(times) * 0.95)] * 1e6)
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        assert (
            online.for_booking(
                session,
                secret=SECRET,
                code="",
                site="hotel",
                plan="flex",
                arrival=ARRIVAL,
                departure=ARRIVAL + timedelta(days=1),
                today=TODAY,
            )
            is None
        )
    engine.dispose()
    print(f"\noffer code check, SQLite (reference loop {reference:.3f} s):")
    for name, (p50, p95) in rows.items():
        print(f"  {name:16s} p50 {p50:7.0f} µs  p95 {p95:7.0f} µs")
    print(f"  a booking on the property's own plan: {len(statements)} statements")
    assert statements == []
