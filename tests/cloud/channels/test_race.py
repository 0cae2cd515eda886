"""Desk and channels race for the last rooms on PostgreSQL: no night oversold, every channel
reservation kept (sold, or stored as an overbooking), exactly as many winners as rooms."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from lxml import etree
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from cloud.channels.models import ChannelReservation
from cloud.channels.ota import inbound, standin
from cloud.reservations.errors import SoldOut
from cloud.reservations.models import Reservation
from cloud.reservations.sales import booking
from cloud.reservations.sales.booking import Booking
from tests.cloud.channels.conftest import HOTEL_CODE, NOW, add_ota, seeded
from tests.cloud.reservations.invariants import check_invariants
from tests.support.db import migrated_engine

ARRIVAL = date(2027, 3, 8)
LEFT = 4  # of the 12 standard rooms
DESK = CHANNEL = 15


@pytest.fixture
def pg_sessions(pg_url: str) -> Iterator[sessionmaker[Session]]:
    engine = migrated_engine(pg_url, pool_size=20, max_overflow=30)
    yield seeded(engine)
    engine.dispose()


def test_desk_and_channel_bookings_for_the_last_rooms_oversell_no_night(
    pg_sessions: sessionmaker[Session],
) -> None:
    sessions = pg_sessions
    secrets = [add_ota(sessions, code=code)[1] for code in ("booking", "expedia", "ctrip")]
    with sessions.begin() as s:
        for n in range(12 - LEFT):
            booking.book(
                s,
                Booking(
                    property="hotel",
                    room_type="std",
                    rate_plan="flex",
                    arrival=ARRIVAL,
                    departure=ARRIVAL + timedelta(days=3),
                    guest_name=f"early {n}",
                ),
                now=NOW,
            )
    start = threading.Barrier(DESK + CHANNEL)

    def desk(n: int) -> str:
        start.wait()
        try:
            with sessions.begin() as s:
                booking.book(
                    s,
                    Booking(
                        property="hotel",
                        room_type="std",
                        rate_plan="flex",
                        arrival=ARRIVAL + timedelta(days=n % 2),
                        departure=ARRIVAL + timedelta(days=3),
                        guest_name=f"desk {n}",
                    ),
                    now=NOW,
                )
            return "won"
        except SoldOut:
            return "sold out"

    def channel(n: int) -> str:
        doc = standin.reservation(
            hotel_code=HOTEL_CODE,
            confirmation=f"C{n}",
            room_code="STD",
            rate_code="BAR",
            arrival=ARRIVAL + timedelta(days=n % 3),
            departure=ARRIVAL + timedelta(days=3),
            total="90.00",
        )
        start.wait()
        status, answer = inbound.receive(
            sessions, secret=secrets[n % 3], body=doc, clock=lambda: NOW, ledger=None
        )
        assert status == 200 and etree.fromstring(answer).find("{*}Success") is not None
        return "sent"

    with ThreadPoolExecutor(max_workers=DESK + CHANNEL) as pool:
        desks = [pool.submit(desk, n) for n in range(DESK)]
        channels = [pool.submit(channel, n) for n in range(CHANNEL)]
        outcomes = [f.result() for f in desks]
        assert [f.result() for f in channels] == ["sent"] * CHANNEL
    with sessions() as s:
        oversold = s.execute(text("SELECT count(*) FROM type_inventory WHERE sold > capacity")).scalar()
        assert oversold == 0
        channel_won = s.scalar(
            select(func.count()).select_from(ChannelReservation).where(ChannelReservation.status == "booked")
        )
        kept = s.scalar(select(func.count()).select_from(ChannelReservation))
        assert kept == CHANNEL  # none dropped: the rest are overbookings
        assert (
            outcomes.count("won") + channel_won == LEFT
        )  # every night of the stay has room for exactly these
        assert s.scalar(select(func.count()).select_from(Reservation)) == 12 - LEFT + LEFT
        check_invariants(s)
        marks = s.execute(text("SELECT count(*) FROM channel_changes")).scalar()
        assert marks, "the PostgreSQL triggers marked no change for the channels"
