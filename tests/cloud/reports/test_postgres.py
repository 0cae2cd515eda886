"""The same statements on PostgreSQL: a quarter of the generated hotel, checked against the plain
computation, and the bookings report summed in the database against the row-by-row one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from cloud.cards.issuer import KeyringIssuer
from cloud.core.db import make_sessionmaker
from cloud.keys.storage import KeyDirectory
from cloud.reports import bookings as booking_report
from cloud.reports.definitions import Grain
from cloud.reports.dimensions import Dimension
from cloud.reports.service import Query, kpis, load_properties
from tests.cloud.reports import plain
from tests.cloud.reports.year import SITE, YEAR_START, generate
from tests.support.db import migrated_engine
from tests.support.pg import fresh_database

pytestmark = [pytest.mark.service, pytest.mark.xdist_group("reports-postgres")]
END = YEAR_START - timedelta(days=20)  # ten weeks of the hotel's first bookings and stays


@pytest.fixture(name="quarter", scope="session")  # once per test process
def _quarter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    with fresh_database() as url:
        engine = migrated_engine(url)
        maker: sessionmaker[Session] = make_sessionmaker(engine)
        folder = tmp_path_factory.mktemp("keys")
        keys = KeyDirectory(folder).load_or_create(now=datetime(2026, 9, 1, tzinfo=UTC))
        generate(maker, KeyringIssuer(keys), last_day=END)
        yield maker
        engine.dispose()


def test_postgres_figures_match_the_plain_computation(quarter: sessionmaker[Session]) -> None:
    start = date(2026, 10, 1)
    with quarter() as s:
        got = {r.period: r.figures for r in kpis(s, Query(sites=(SITE,), start=start, end=END)).rows}
        want = plain.monthly(plain.load(s, SITE), start, END)
        typed = kpis(s, Query(sites=(SITE,), start=start, end=END, dimension=Dimension.ROOM_TYPE)).rows
        want_typed = plain.monthly(plain.load(s, SITE), start, END, by_type=True)
    for (period, _), expected in want.items():
        f = got[period]
        assert (f.available, f.sold, f.on_the_books, f.room_net, f.room_gross, f.payments, f.refunds) == (
            expected.available, expected.sold, expected.on_the_books, expected.room_net, expected.room_gross,
            expected.payments, expected.refunds)
        assert {k: v for k, v in f.departments_net.items() if v} == {
            k: v for k, v in expected.departments.items() if v}
    assert sum(f.sold for f in got.values()) > 20
    for row in typed:
        assert (row.figures.sold, row.figures.room_net) == (
            want_typed[(row.period, row.value)].sold, want_typed[(row.period, row.value)].room_net)


@pytest.mark.parametrize("grain", [Grain.DAY, Grain.WEEK, Grain.MONTH])
def test_bookings_summed_in_postgres_equal_the_row_by_row_count(quarter: sessionmaker[Session],
                                                                grain: Grain) -> None:
    query = Query(sites=(SITE,), start=date(2026, 10, 1), end=END, grain=grain)
    with quarter() as s:
        summed = booking_report.bookings(s, query)
        by_row: dict[tuple[str, str, str], booking_report.BookingRow] = {}
        for prop in load_properties(s, query.sites):
            booking_report._row_by_row(s, query, prop, prop.slug, by_row)
    expected = sorted(by_row.values(), key=lambda r: (r.period, r.value))
    assert [vars(r) for r in summed] == [vars(r) for r in expected]
    assert sum(r.reservations for r in summed) > 15
