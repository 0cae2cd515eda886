"""The booking's few statements: a full night refuses the whole stay and leaves nothing behind;
overlapping stays sold at once neither deadlock nor oversell."""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog.models import RoomType
from cloud.reservations.errors import SoldOut
from cloud.reservations.models import RoomAllocation, TypeInventory
from cloud.reservations.sales import booking
from cloud.reservations.sales.booking import Booking
from tests.cloud.reservations.conftest import NOW
from tests.cloud.reservations.invariants import check_invariants

MON = date(2027, 3, 8)


def req(arrival: date, nights: int, *, type_: str = "ste", name: str = "Ana Ruiz") -> Booking:
    return Booking(
        property="hotel",
        room_type=type_,
        rate_plan="flex",
        arrival=arrival,
        departure=arrival + timedelta(days=nights),
        guest_name=name,
    )


def _sold(session: Session, type_code: str) -> dict[date, int]:
    rows = session.execute(
        select(TypeInventory.night, TypeInventory.sold)
        .join(RoomType, RoomType.id == TypeInventory.room_type_id)
        .where(RoomType.code == type_code)
    )
    return {night: sold for night, sold in rows}


def test_a_full_night_refuses_the_stay_and_leaves_every_night_as_it_was(session: Session) -> None:
    tue, wed = MON + timedelta(days=1), MON + timedelta(days=2)
    for arrival in (MON, wed, tue, tue):  # two suites: Tuesday full, Monday and Wednesday half
        booking.book(session, req(arrival, 1), now=NOW)
    before = _sold(session, "ste")
    assert (before[MON], before[tue], before[wed]) == (1, 2, 1)
    with pytest.raises(SoldOut):
        booking.book(session, req(MON, 3), now=NOW)
    assert _sold(session, "ste") == before  # the session goes on, with no night half sold
    booking.book(session, req(wed, 1), now=NOW)  # and can still sell what is left
    assert _sold(session, "ste")[wed] == 2
    check_invariants(session)


def test_a_stay_over_nights_never_sold_before_creates_their_rows(session: Session) -> None:
    far = date(2028, 1, 10)
    booking.book(session, req(far, 2), now=NOW)
    booking.book(session, req(far + timedelta(days=1), 2), now=NOW)  # one night known, one new
    sold = _sold(session, "ste")
    assert [sold[far + timedelta(days=d)] for d in range(3)] == [1, 2, 1]
    check_invariants(session)


@pytest.mark.service
def test_overlapping_stays_sold_at_once_neither_deadlock_nor_oversell(
    sessions: sessionmaker[Session],
) -> None:
    def client(n: int) -> str:
        rng = random.Random(n)
        arrival = MON + timedelta(days=rng.randrange(6))
        try:
            with sessions.begin() as s:
                booking.book(s, req(arrival, rng.randint(1, 5), type_="std", name=f"c{n}"), now=NOW)
            return "booked"
        except SoldOut:
            return "sold out"

    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = Counter(pool.map(client, range(120)))  # an OperationalError (deadlock) would raise here
    assert outcomes["booked"] >= 12 and sum(outcomes.values()) == 120
    with sessions() as s:
        assert max(_sold(s, "std").values()) <= 12
        rooms_held = s.scalar(select(RoomAllocation.id).limit(1))
        assert rooms_held is not None
        check_invariants(s)
