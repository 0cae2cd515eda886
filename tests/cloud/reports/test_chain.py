"""Chain totals over several properties, the channel dimension and the computed channel commissions,
on the rows the desk, billing and the channels leave (SQLite; the sums on PostgreSQL are
checked against the same rows in test_day_sums)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.models import Folio
from cloud.catalog.models import Property, RatePlan, RoomType
from cloud.channels import registry, views
from cloud.channels.errors import ChannelInvalid
from cloud.channels.models import Channel, ChannelReservation
from cloud.channels.schemas import ChannelIn, ChannelPatch
from cloud.core.db import make_engine, make_sessionmaker
from cloud.guestweb.models import GuestHold
from cloud.reports import commissions
from cloud.reports.dimensions import Dimension
from cloud.reports.errors import InvalidReport
from cloud.reports.expenses import add_recurring
from cloud.reports.pnl import pnl
from cloud.reports.service import CHAIN, Query, kpis, totals
from cloud.reservations.models import Reservation
from tests.cloud.reports import rows
from tests.cloud.reports.rows import END, START

AT = datetime(2027, 2, 1, tzinfo=UTC)
BY_CHANNEL = Query(sites=("north",), start=START, end=END, dimension=Dimension.CHANNEL)


@pytest.fixture(name="chain", scope="module")
def _chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    """Three properties of one chain: two in euros, one in dollars; a channel with a 15 % commission
    sold some of the euro reservations, the booking engine some others."""
    from tests.support.db import migrated_sqlite

    engine = make_engine(migrated_sqlite(tmp_path_factory.mktemp("chain") / "cloud.db"))
    sessions: sessionmaker[Session] = make_sessionmaker(engine)
    rng = random.Random(7)
    with sessions.begin() as s:
        rows.hotels(s, {"north": "EUR", "south": "EUR", "west": "USD"})
        for n in range(90):
            rows.book(s, rng, n)
        _sell_through_channels(s, rng)
    yield sessions
    engine.dispose()


def _sell_through_channels(s: Session, rng: random.Random) -> None:
    north = s.scalar(select(Property).where(Property.slug == "north"))
    assert north is not None
    type_id = s.scalar(select(RoomType.id).where(RoomType.property_id == north.id))
    plan_id = s.scalar(select(RatePlan.id).where(RatePlan.property_id == north.id, RatePlan.code == "flex"))
    channel = Channel(property_id=north.id, code="booking", name="Booking.com", kind="ota", markup_bp=0,
                      paused=False, hotel_code="B1", secret_hash="x" * 64, calls_per_minute=20,
                      commission_bp=1500, created_at=AT)
    s.add(channel)
    s.flush()
    folios = list(s.execute(select(Reservation.id, Reservation.arrival, Reservation.departure)
                            .join(Folio, Folio.reservation_id == Reservation.id)
                            .where(Reservation.property_id == north.id).order_by(Reservation.id)))
    for k, (rid, arrival, departure) in enumerate(folios):
        if k % 3 == 0:
            s.execute(insert(ChannelReservation).values(
                channel_id=channel.id, confirmation=f"B{k}", reservation_id=rid, status="booked",
                room_type_id=type_id, rate_plan_id=plan_id, arrival=arrival, departure=departure,
                guest_name="G", total_minor=0, currency="EUR", detail={}, received_at=AT, updated_at=AT))
        elif k % 3 == 1:
            s.add(GuestHold(reservation_id=rid, state="paid", pay="full", amount_minor=0, expires_at=AT,
                            created_at=AT, releases=False, booked_online=True))


def test_a_chain_total_adds_the_properties_of_one_currency(chain: sessionmaker[Session]) -> None:
    with chain() as s:
        each = totals(kpis(s, Query(sites=("north", "south"), start=START, end=END)).rows)
        whole = totals(kpis(s, Query(sites=("north", "south"), start=START, end=END,
                                     per_property=False)).rows)
    summed = whole[(CHAIN, "all")]
    parts = [each[("north", "all")], each[("south", "all")]]
    assert summed.available == sum(p.available for p in parts) == 2 * 5 * (END - START).days
    assert summed.sold == sum(p.sold for p in parts) > 0
    assert summed.room_net == sum(p.room_net for p in parts) > 0
    assert summed.payments == sum(p.payments for p in parts)
    assert summed.ratios()["occupancy_pct"] is not None


def test_a_chain_total_over_two_currencies_is_refused_and_each_answers_apart(
        chain: sessionmaker[Session]) -> None:
    with chain() as s:
        with pytest.raises(InvalidReport, match="different currencies"):
            kpis(s, Query(sites=("north", "west"), start=START, end=END, per_property=False))
        with pytest.raises(InvalidReport, match="different currencies"):
            pnl(s, sites=("north", "west"), start=START, end=END, per_property=False)
        apart = kpis(s, Query(sites=("north", "west"), start=START, end=END))
    assert {(r.site, r.currency) for r in apart.rows} == {("north", "EUR"), ("west", "USD")}


def test_the_channel_dimension_reads_the_channel_and_the_booking_engine(chain: sessionmaker[Session]) -> None:
    with chain() as s:
        split = totals(kpis(s, BY_CHANNEL).rows)
        whole = totals(kpis(s, Query(sites=("north",), start=START, end=END)).rows)[("north", "all")]
    assert {value for _, value in split} >= {"booking", "web", "direct"}
    assert sum(f.sold for f in split.values()) == whole.sold
    assert sum(f.room_gross for f in split.values()) == whole.room_gross


def test_commissions_are_the_channels_room_revenue_times_its_rate(chain: sessionmaker[Session]) -> None:
    with chain() as s:
        split = totals(kpis(s, BY_CHANNEL).rows)
        north = s.scalar(select(Property.id).where(Property.slug == "north"))
        assert north is not None
        by_month = commissions.monthly(s, [north], start=START, end=END)
        months = pnl(s, sites=("north",), start=START, end=END)
    sold_by_booking = split[("north", "booking")].room_gross
    assert sold_by_booking > 0
    computed = sum(c.get("booking", 0) for c in by_month.values())
    # one rounding per month: within a cent a month of 15 % of the whole
    assert abs(computed - sold_by_booking * 15 / 100) <= len(by_month)
    assert sum(m.commissions.get("booking", 0) for m in months) == computed
    assert all(m.total_expenses == sum(m.expenses.values()) + m.total_commissions for m in months)
    assert "web" not in {code for c in by_month.values() for code in c}  # the booking engine keeps nothing


def test_the_chain_pnl_adds_revenue_expenses_and_commissions(chain: sessionmaker[Session]) -> None:
    with chain.begin() as s:
        add_recurring(s, site="south", category="payroll", amount_minor=100_000, currency="EUR",
                      first_month=START, last_month=None, description="staff", actor="t", now=AT)
    with chain() as s:
        each = pnl(s, sites=("north", "south"), start=START, end=END)
        whole = pnl(s, sites=("north", "south"), start=START, end=END, per_property=False)
    for month in {m.month for m in whole}:
        parts = [m for m in each if m.month == month]
        total = next(m for m in whole if m.month == month)
        assert total.site == CHAIN and total.currency == "EUR"
        assert total.total_revenue == sum(p.total_revenue for p in parts)
        assert total.total_expenses == sum(p.total_expenses for p in parts)
        assert total.expenses.get("payroll") == 100_000
        assert total.gop == sum(p.gop for p in parts)
        assert total.rooms_available == sum(p.rooms_available for p in parts)


def test_commission_rounds_half_up() -> None:
    assert commissions.commission(10_000, 1500) == 1500
    assert commissions.commission(1, 5000) == 1  # half a cent rounds up
    assert commissions.commission(1, 4999) == 0
    assert commissions.commission(0, 1500) == 0
    assert date(2027, 3, 1) == START


def test_the_channel_registry_takes_a_commission_rate_and_refuses_a_bad_one(
        chain: sessionmaker[Session]) -> None:
    made = ChannelIn(code="hrs", name="HRS", kind="ota", hotel_code="H", commission_bp=1800)
    assert made.commission_bp == 1800
    for bad in (-1, 10_001, 1.5, "15%"):
        with pytest.raises(ValidationError):
            ChannelIn(code="hrs", name="HRS", kind="ota", hotel_code="H", commission_bp=bad)
        with pytest.raises(ValidationError):
            ChannelPatch(commission_bp=bad)
    with chain() as s:
        south = s.scalar(select(Property).where(Property.slug == "south"))
        assert south is not None
        with pytest.raises(ChannelInvalid, match="commission"):
            registry.create(s, south, registry.NewChannel(code="hrs", name="HRS", kind="ota", hotel_code="H",
                                                          commission_bp=10_001), now=AT)
        assert s.scalar(select(Channel.id).where(Channel.code == "hrs")) is None
        made, _secret = registry.create(s, south, registry.NewChannel(
            code="hrs", name="HRS", kind="ota", hotel_code="H", commission_bp=1800), now=AT)
        assert views.channel_out(s, made).commission_bp == 1800
        s.rollback()


def test_a_booking_engine_booking_keeps_its_web_mark_after_a_desk_payment_link(tmp_path: Path) -> None:
    from cloud.guestweb import booking as engine
    from cloud.reservations.sales.booking import Booking
    from cloud.setup.demo import seed_demo
    from tests.support.db import migrated_sqlite

    db = make_engine(migrated_sqlite(tmp_path / "cloud.db"))
    sessions: sessionmaker[Session] = make_sessionmaker(db)
    now = datetime(2027, 3, 1, 10, tzinfo=UTC)
    with sessions.begin() as s:
        seed_demo(s)
        res, held = engine.hold(s, Booking(property="hotel", room_type="std", rate_plan="flex",
                                           arrival=date(2027, 3, 10), departure=date(2027, 3, 12),
                                           guest_name="Web"), pay="deposit", ledger=None, now=now, minutes=30)
        assert held.booked_online and held.releases
        held.state = "paid"
        engine.payment_link(s, res, amount_minor=5_000, now=now, hours=24)
        assert held.booked_online and not held.releases  # the desk's link kept the mark
    with sessions() as s:
        split = totals(kpis(s, Query(sites=("hotel",), start=date(2027, 3, 1), end=date(2027, 4, 1),
                                     dimension=Dimension.CHANNEL)).rows)
    assert split[("hotel", "web")].on_the_books == 2
    db.dispose()
