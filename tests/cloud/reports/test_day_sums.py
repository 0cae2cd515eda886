"""PostgreSQL's day sums (migration reports_0003) against the lines they sum: after random writes of
every kind the triggers follow (nights added, re-priced and given back; reservations checked in,
cancelled, moved to another plan, deleted; lines posted; payments settled; a property's zone
changed), the KPI report read from the sums equals the one read from the rows, folded or not."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.models import Folio, Payment
from cloud.catalog.models import Property, RatePlan
from cloud.core.db import make_engine, make_sessionmaker
from cloud.reports import day_sums
from cloud.reports.definitions import Grain
from cloud.reports.models import NightSum
from cloud.reports.service import Query, kpis
from cloud.reservations.models import Reservation, ReservationNight
from tests.cloud.reports import rows
from tests.cloud.reports.rows import END, START

SITES = ("north", "south")


@pytest.fixture(name="db")
def _db(pg_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(pg_url)
    sessions: sessionmaker[Session] = make_sessionmaker(engine)
    with sessions.begin() as s:
        rows.hotels(s, {site: "EUR" for site in SITES})
    yield sessions
    engine.dispose()


def _figures(s: Session) -> list[Any]:
    report = kpis(s, Query(sites=SITES, start=START, end=END, grain=Grain.DAY))
    return [(r.period, r.site, r.figures.sold, r.figures.complimentary, r.figures.house_use,
             r.figures.on_the_books, r.figures.room_net, r.figures.room_gross, r.figures.payments,
             r.figures.refunds, sorted(r.figures.departments_net.items())) for r in report.rows]


def _same(db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    with db() as s:
        summed = _figures(s)
    with monkeypatch.context() as m, db() as s:
        m.setattr(day_sums, "kept", lambda _s: False)
        lines = _figures(s)
    assert summed == lines
    assert any(row[2] for row in summed)


def _change(s: Session, rng: random.Random) -> None:
    """One late change of the kinds the desk, billing and the channels make."""
    res = s.scalar(select(Reservation).order_by(Reservation.id).offset(rng.randrange(40)).limit(1))
    assert res is not None
    kind = rng.choice(["status", "plan", "night", "price", "settle", "delete"])
    if kind == "status":
        s.execute(update(Reservation).where(Reservation.id == res.id).values(
            status=rng.choice(["checked_in", "checked_out", "cancelled", "no_show", "booked"])))
    elif kind == "plan":
        plans = list(s.scalars(select(RatePlan.id).where(RatePlan.property_id == res.property_id)))
        s.execute(update(Reservation).where(Reservation.id == res.id).values(rate_plan_id=rng.choice(plans)))
    elif kind == "night":
        s.execute(delete(ReservationNight).where(ReservationNight.reservation_id == res.id,
                                                 ReservationNight.night == res.arrival))
    elif kind == "price":
        s.execute(update(ReservationNight).where(ReservationNight.reservation_id == res.id).values(
            amount_minor=rng.choice([0, 7000])))
    elif kind == "settle":
        s.execute(update(Payment).where(Payment.status == "pending").values(status="succeeded"))
    elif s.scalar(select(Folio.id).where(Folio.reservation_id == res.id)) is None:
        s.execute(delete(Reservation).where(Reservation.id == res.id))  # its nights go by cascade


def test_sums_equal_the_lines_through_late_changes_and_folding(db: sessionmaker[Session],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(18)
    with db.begin() as s:
        for n in range(60):
            rows.book(s, rng, n)
    _same(db, monkeypatch)
    for round_ in range(4):
        for _ in range(6):
            with db.begin() as s:
                _change(s, rng)
        _same(db, monkeypatch)
        if round_ % 2:
            with db.begin() as s:
                assert day_sums.fold(s) > 0
            with db() as s:
                assert s.scalar(select(NightSum.id).where(NightSum.folded.is_(False)).limit(1)) is None
            _same(db, monkeypatch)


def test_a_zone_changed_after_posting_reads_the_lines(db: sessionmaker[Session],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    with db.begin() as s:
        for n in range(20):
            rows.book(s, rng, n)
        s.execute(update(Property).where(Property.slug == "north").values(timezone="America/Bogota"))
    _same(db, monkeypatch)
