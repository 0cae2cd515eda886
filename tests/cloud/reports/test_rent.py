"""A long stay billed by contract posts no room nights: its nights count as rooms sold and its rent
as room revenue (by the day it is billed), on SQLite and on PostgreSQL's day sums alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.models import Charge, Folio
from cloud.catalog.models import Property, RatePlan, RoomType
from cloud.core.db import make_engine, make_sessionmaker
from cloud.reports import day_sums
from cloud.reports.definitions import Grain
from cloud.reports.service import Query, kpis
from cloud.reservations.models import Reservation, ReservationNight
from tests.cloud.reports import rows

MARCH, APRIL = date(2027, 3, 1), date(2027, 4, 1)
BILLED = datetime(2027, 3, 1, 9, tzinfo=UTC)


@pytest.fixture(name="db")
def _db(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    sessions: sessionmaker[Session] = make_sessionmaker(engine)
    with sessions.begin() as s:
        rows.hotels(s, {"north": "EUR"})
        _contract_stay(s)
    yield sessions
    engine.dispose()


def _contract_stay(s: Session) -> None:
    prop = s.scalar(select(Property).where(Property.slug == "north"))
    assert prop is not None
    type_id = s.scalar(select(RoomType.id).where(RoomType.property_id == prop.id))
    plan_id = s.scalar(select(RatePlan.id).where(RatePlan.property_id == prop.id, RatePlan.code == "flex"))
    rid, folio = "R" + "0" * 24 + "1", "F" + "0" * 24 + "1"
    s.execute(
        insert(Reservation).values(
            id=rid,
            property_id=prop.id,
            status="checked_in",
            guest_name_enc="G",
            adults=1,
            children=0,
            room_type_id=type_id,
            inventory_type_id=type_id,
            rate_plan_id=plan_id,
            arrival=MARCH,
            departure=date(2027, 5, 1),
            currency="EUR",
            total_minor=240000,
            deposit_required_minor=0,
            checkout_due_at=BILLED,
            preferences={},
            notes="",
            created_at=BILLED,
        )
    )
    nights = [MARCH + timedelta(days=k) for k in range(61)]
    s.execute(
        insert(ReservationNight), [{"reservation_id": rid, "night": d, "amount_minor": 9000} for d in nights]
    )
    s.execute(
        insert(Folio).values(
            id=folio,
            site="north",
            reservation_id=rid,
            kind="stay",
            currency="EUR",
            guest_name_enc="G",
            guest_language="en",
            status="open",
            created_at=BILLED,
            routed_kinds=[],
        )
    )
    lines = [("rent", 110000, 100000), ("utilities", 1100, 1000)]  # March's rent, billed on the 1st
    s.execute(
        insert(Charge),
        [
            {
                "id": f"C{k:025d}",
                "folio_id": folio,
                "origin_folio_id": folio,
                "payer": "guest",
                "kind": kind,
                "description": "",
                "discount": False,
                "quantity": 1,
                "unit_minor": gross,
                "currency": "EUR",
                "net_minor": net,
                "tax_minor": gross - net,
                "gross_minor": gross,
                "taxes": {},
                "night": None,
                "posted_at": BILLED,
            }
            for k, (kind, gross, net) in enumerate(lines)
        ],
    )


def _march(s: Session) -> tuple[int, int, int, int | None, dict[str, int]]:
    report = kpis(s, Query(sites=("north",), start=MARCH, end=APRIL, grain=Grain.MONTH))
    (row,) = report.rows
    f = row.figures
    return f.sold, f.room_net, f.room_gross, f.ratios()["adr_net"], dict(f.departments_net)


def test_a_contract_stay_sells_its_nights_and_its_rent_is_room_revenue(
    db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    with db() as s:
        sold, net, gross, adr, departments = _march(s)
    assert (sold, net, gross) == (31, 100000, 110000)
    assert adr == 3226  # 100000 / 31, half up: an ADR, not "no revenue"
    assert departments == {"rooms": 100000, "other": 1000}
    with monkeypatch.context() as m, db() as s:  # the lines, as SQLite reads them, say the same
        m.setattr(day_sums, "kept", lambda _s: False)
        assert _march(s) == (sold, net, gross, adr, departments)
