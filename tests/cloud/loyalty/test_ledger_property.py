"""Any sequence of earning, spending, refunding and expiry keeps the books in step: the balance
equals what the lots hold and what the properties owe, and never goes below zero."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.db import make_sessionmaker
from cloud.guests.models import Guest
from cloud.loyalty import ledger, membership
from cloud.loyalty.errors import InsufficientPoints
from cloud.loyalty.models import Entry, Lot, Settlement
from cloud.loyalty.rules import EarningRules
from cloud.setup.demo import seed_demo
from mqtt.envelope import new_id
from tests.support.db import migrated_engine

START = datetime(2027, 1, 1, 9, tzinfo=UTC)
RULES = EarningRules(lot_months=2)
STEPS = st.lists(
    st.tuples(st.sampled_from(["earn", "redeem", "expire"]), st.integers(1, 900), st.integers(0, 120)),
    min_size=1,
    max_size=12,
)


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    engine = migrated_engine(f"sqlite:///{Path(tmp_path_factory.mktemp('ledger')) / 'l.db'}")
    maker = make_sessionmaker(engine)
    with maker.begin() as session:
        seed_demo(session)
    yield maker
    engine.dispose()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(STEPS)
def test_the_books_agree_after_any_sequence(
    sessions: sessionmaker[Session], steps: list[tuple[str, int, int]]
) -> None:
    with sessions() as session:
        guest = Guest(
            id=new_id(),
            site="hotel",
            tier="normal",
            stays_count=0,
            nights_count=0,
            created_at=START,
            updated_at=START,
        )
        session.add(guest)
        session.flush()
        member = membership.enroll(session, actor="test", guest=guest)
        for number, (action, points, days) in enumerate(steps):
            now = START + timedelta(days=days)
            if action == "earn":
                ledger.award(
                    session,
                    member,
                    site="hotel",
                    points=points,
                    action=f"a:{number}",
                    actor="t",
                    rules=RULES,
                    now=now,
                )
            elif action == "redeem":
                with suppress(InsufficientPoints):  # more than held: refused, nothing written
                    ledger.redeem(
                        session,
                        member.id,
                        site="hotel",
                        kind="service",
                        points=points,
                        actor="t",
                        reservation_id=None,
                        note="",
                        rules=RULES,
                        now=now,
                    )
            else:
                ledger.expire(
                    session, member.id, today=date(2027, 1, 1) + timedelta(days=days), rules=RULES, now=now
                )
            assert member.available >= 0
            assert books(session, member.id) == member.available
        session.rollback()


def books(session: Session, member_id: str) -> int:
    entries = session.scalar(select(func.sum(Entry.points)).where(Entry.member_id == member_id)) or 0
    lots = session.scalar(select(func.sum(Lot.remaining)).where(Lot.member_id == member_id)) or 0
    owed = (
        session.scalar(
            select(func.sum(Settlement.points)).where(
                Settlement.member_id == member_id, Settlement.kind != "redeem_in"
            )
        )
        or 0
    )
    assert entries == lots == owed
    return int(entries)
