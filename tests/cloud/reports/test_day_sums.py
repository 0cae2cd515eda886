"""PostgreSQL's day sums (migration reports_0003) against the lines they sum: after random writes of
every kind the triggers follow (nights added, re-priced and given back; reservations checked in,
cancelled, moved to another plan, deleted; lines posted; payments settled; a property's zone
changed), the KPI report read from the sums equals the one read from the rows, folded or not."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.models import Charge, Folio, Payment
from cloud.catalog import service as catalog
from cloud.catalog.models import Floor, Property, RatePlan, Room, RoomType
from cloud.core.db import make_engine, make_sessionmaker
from cloud.reports import day_sums
from cloud.reports.definitions import Grain
from cloud.reports.models import NightSum, RatePlanUsage
from cloud.reports.service import Query, kpis
from cloud.reservations.models import Reservation, ReservationNight

START, END = date(2027, 3, 1), date(2027, 5, 1)
SITES = ("north", "south")


@pytest.fixture(name="db")
def _db(pg_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(pg_url)
    sessions: sessionmaker[Session] = make_sessionmaker(engine)
    with sessions.begin() as s:
        for number, site in enumerate(SITES, start=1):
            prop = catalog.create_property(s, slug=site, number=number, name=site, timezone="Europe/Madrid",
                                           currency="EUR")
            floor = Floor(property_id=prop.id, slug="f1", level=1)
            type_ = RoomType(property_id=prop.id, code="std", name="std", max_guests=2)
            s.add_all([floor, type_, RatePlan(property_id=prop.id, code="flex", name="Flexible"),
                       RatePlan(property_id=prop.id, code="comp", name="Comp")])
            s.flush()
            s.add_all([Room(property_id=prop.id, floor_id=floor.id, room_type_id=type_.id, slug=f"r{n}",
                            number=100 + n) for n in range(5)])
        s.flush()
        house = s.scalar(select(RatePlan.id).where(RatePlan.code == "comp").limit(1))
        s.add(RatePlanUsage(rate_plan_id=house, usage="house_use"))
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


def _book(s: Session, rng: random.Random, n: int) -> None:
    props = list(s.execute(select(Property.id, Property.slug)))
    prop_id, site = rng.choice(props)
    type_id = s.scalar(select(RoomType.id).where(RoomType.property_id == prop_id))
    plans = list(s.scalars(select(RatePlan.id).where(RatePlan.property_id == prop_id)))
    arrival = START + timedelta(days=rng.randrange(55))
    nights = [arrival + timedelta(days=k) for k in range(rng.randint(1, 4))]
    rid, at = f"R{n:025d}", datetime(2027, 2, 1, 12, tzinfo=UTC)
    s.execute(insert(Reservation).values(
        id=rid, property_id=prop_id, status=rng.choice(["booked", "checked_in", "checked_out"]),
        guest_name_enc="G", adults=1, children=0, room_type_id=type_id, inventory_type_id=type_id,
        rate_plan_id=rng.choice(plans), arrival=nights[0], departure=nights[-1] + timedelta(days=1),
        currency="EUR", total_minor=0, deposit_required_minor=0, checkout_due_at=at, preferences={},
        notes="", created_at=at))
    s.execute(insert(ReservationNight), [{"reservation_id": rid, "night": d, "amount_minor": rng.choice([0, 9000])}
                                         for d in nights])
    if rng.random() < 0.6:  # a stay folio with its room nights, an extra and a payment
        folio = f"F{n:025d}"
        s.execute(insert(Folio).values(id=folio, site=site, reservation_id=rid, kind="stay", currency="EUR",
                                       guest_name_enc="G", guest_language="en", status="open", created_at=at,
                                       routed_kinds=[]))
        posted = datetime.combine(nights[0], datetime.min.time(), tzinfo=UTC) + timedelta(hours=rng.randrange(24))
        lines = [("room_night", d, 9000) for d in nights] + [("restaurant", None, rng.randint(100, 900))]
        s.execute(insert(Charge), [
            {"id": f"C{n:023d}{k:02d}", "folio_id": folio, "origin_folio_id": folio, "payer": "guest",
             "kind": kind, "description": "", "discount": False, "quantity": 1, "unit_minor": amount,
             "currency": "EUR", "net_minor": amount - amount // 11, "tax_minor": amount // 11,
             "gross_minor": amount, "taxes": {}, "night": night, "posted_at": posted}
            for k, (kind, night, amount) in enumerate(lines)])
        paid = {"folio_id": folio, "payer": "guest", "method": "cash", "stage": "check_out", "currency": "EUR",
                "amount_minor": rng.randint(1000, 5000), "created_at": posted}
        s.execute(insert(Payment).values(id=f"P{n:025d}", direction="payment",
                                         status=rng.choice(["pending", "succeeded"]), **paid))
        if rng.random() < 0.3:
            s.execute(insert(Payment).values(id=f"Q{n:025d}", direction="refund", refund_of=f"P{n:025d}",
                                             status="pending", **paid))


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
            _book(s, rng, n)
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
            _book(s, rng, n)
        s.execute(update(Property).where(Property.slug == "north").values(timezone="America/Bogota"))
    _same(db, monkeypatch)
