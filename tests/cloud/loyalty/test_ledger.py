"""The points ledger on both databases: the locked check, the CHECK behind it, expiry per lot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.core.db import make_sessionmaker
from cloud.guests.models import Guest
from cloud.loyalty import ledger, membership
from cloud.loyalty.errors import InsufficientPoints, InvalidLoyalty
from cloud.loyalty.models import Entry, Member, Settlement
from cloud.loyalty.rules import EarningRules
from cloud.setup.demo import seed_demo
from tests.support.db import migrated_engine

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
RULES = EarningRules(lot_months=1)


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    engine = migrated_engine(db_url)
    maker = make_sessionmaker(engine)
    with maker() as s:
        seed_demo(s)
        yield s
        s.rollback()
    engine.dispose()


def member_with(session: Session, points: int) -> Member:
    guest = Guest(
        id="01J0000000000000000000GST1",
        site="hotel",
        tier="normal",
        stays_count=0,
        nights_count=0,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(guest)
    session.flush()
    member = membership.enroll(session, actor="test", guest=guest)
    ledger.award(
        session, member, site="hotel", points=points, action="welcome", actor="test", rules=RULES, now=NOW
    )
    return member


def test_a_balance_never_goes_negative_by_the_check_or_by_the_constraint(session: Session) -> None:
    member = member_with(session, 300)
    with pytest.raises(InsufficientPoints):
        ledger.redeem(
            session,
            member.id,
            site="hotel",
            kind="service",
            points=301,
            actor="test",
            reservation_id=None,
            note="",
            rules=RULES,
            now=NOW,
        )
    with pytest.raises(InvalidLoyalty):
        ledger.redeem(
            session,
            member.id,
            site="nowhere",
            kind="service",
            points=1,
            actor="test",
            reservation_id=None,
            note="",
            rules=RULES,
            now=NOW,
        )
    ledger.redeem(
        session,
        member.id,
        site="hotel",
        kind="upgrade",
        points=300,
        actor="test",
        reservation_id=None,
        note="",
        rules=RULES,
        now=NOW,
    )
    assert member.available == 0
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(update(Member).where(Member.id == member.id).values(available=-1))


def test_a_lot_expires_after_its_months_and_the_issuing_property_stops_owing_it(session: Session) -> None:
    member = member_with(session, 120)
    assert ledger.expire(session, member.id, today=date(2027, 4, 1), rules=RULES, now=NOW) == 0
    assert ledger.expire(session, member.id, today=date(2027, 4, 2), rules=RULES, now=NOW) == 120
    assert ledger.expire(session, member.id, today=date(2027, 4, 3), rules=RULES, now=NOW) == 0
    assert member.available == 0 and member.qualifying == 120  # expiry keeps the tier's points
    owed = session.scalar(select(func.sum(Settlement.points)).where(Settlement.site == "hotel"))
    kinds = list(session.scalars(select(Entry.kind).where(Entry.member_id == member.id).order_by(Entry.id)))
    assert owed == 0 and kinds == ["earn", "expire"]
