"""Two hundred clients race for the last ten standard rooms (or all twelve, on nights never sold
before): exactly that many win, on both databases, through the unit of work and through plain inserts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.core import plain_inserts
from cloud.reservations.errors import SoldOut
from cloud.reservations.models import Reservation, RoomAllocation
from cloud.reservations.sales import booking
from cloud.reservations.sales.booking import Booking
from tests.cloud.reservations.conftest import NOW
from tests.cloud.reservations.invariants import check_invariants

ARRIVAL = date(2027, 3, 8)
CLIENTS = 200


def _request(name: str) -> Booking:
    return Booking(
        property="hotel",
        room_type="std",
        rate_plan="flex",
        arrival=ARRIVAL,
        departure=ARRIVAL + timedelta(days=3),
        guest_name=name,
    )


@pytest.mark.service
@pytest.mark.parametrize("plain", [False, True], ids=["unit-of-work", "plain-inserts"])
@pytest.mark.parametrize("first_sale", [False, True], ids=["nights-sold-before", "first-sale"])
def test_two_hundred_clients_for_ten_rooms_exactly_ten_win(
    sessions: sessionmaker[Session], plain: bool, first_sale: bool
) -> None:
    """``plain``: as the API books on PostgreSQL (new rows queued as plain inserts); ``first_sale``:
    the stay's nights have no inventory rows yet (all 12 rooms left), so every client takes the
    careful path first."""
    rooms = 12 if first_sale else 10
    if not first_sale:
        with sessions.begin() as s:  # 12 standard rooms: leave the last 10
            for n in range(2):
                booking.book(s, _request(f"early {n}"), now=NOW)
    start = threading.Barrier(CLIENTS)

    def client(n: int) -> str:
        start.wait()
        try:
            with sessions.begin() as s:
                if plain:
                    plain_inserts.open_queue(s)
                booking.book(s, _request(f"client {n}"), now=NOW)
            return "won"
        except SoldOut:
            return "sold out"

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        outcomes = list(pool.map(client, range(CLIENTS)))
    assert outcomes.count("won") == rooms
    assert outcomes.count("sold out") == CLIENTS - rooms
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Reservation)) == 12
        assert s.scalar(select(func.count()).select_from(RoomAllocation)) == 12  # every winner has a room
        check_invariants(s)
