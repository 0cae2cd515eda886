"""The stays' clock checks out at the hour, releases due blocks and creates service tasks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog import service as catalog
from cloud.reservations.groups import service as groups
from cloud.reservations.long_stays import service as long_stays
from cloud.reservations.sales import booking
from cloud.reservations.sales.booking import Booking
from cloud.reservations.stays import service as stays
from cloud.reservations.stays.schedule import StayClock
from tests.cloud.reservations.conftest import NOW, RecordingIssuer

ARRIVAL = date(2027, 3, 8)


def test_one_round_checks_out_releases_and_plans_tasks(
    sessions: sessionmaker[Session], issuer: RecordingIssuer
) -> None:
    with sessions.begin() as s:
        res = booking.book(
            s,
            Booking(
                property="hotel",
                room_type="std",
                rate_plan="flex",
                arrival=ARRIVAL,
                departure=ARRIVAL + timedelta(days=30),
                guest_name="Long",
            ),
            now=NOW,
        )
        long_stays.create_contract(
            s, res, monthly_rate_minor=150000, billing_day=8, services=[("cleaning", [1, 4])]
        )
        stays.check_in(s, res, issuer=issuer, now=datetime(2027, 3, 8, 15, tzinfo=UTC))
        short = booking.book(
            s,
            Booking(
                property="hotel",
                room_type="sup",
                rate_plan="flex",
                arrival=ARRIVAL,
                departure=ARRIVAL + timedelta(days=1),
                guest_name="Short",
            ),
            now=NOW,
        )
        stays.check_in(s, short, issuer=issuer, now=datetime(2027, 3, 8, 15, tzinfo=UTC))
        groups.create_block(
            s,
            catalog.get_property(s, "hotel"),
            name="Boda",
            kind="group",
            arrival=date(2027, 4, 10),
            departure=date(2027, 4, 12),
            release_on=date(2027, 3, 9),
            rate_plan="flex",
            rooms={"ste": 2},
            now=NOW,
        )
    at_eleven = datetime(2027, 3, 9, 10, 0, tzinfo=UTC)  # 11:00 in Madrid on the short stay's departure
    clock = StayClock(sessions, clock=lambda: at_eleven)  # tasks for Tue 9 and Fri 12 (a week ahead)
    assert clock.run_once() == {"checked_out": 1, "rooms_released": 2, "tasks_created": 2}
    assert clock.run_once() == {"checked_out": 0, "rooms_released": 0, "tasks_created": 0}
    with sessions() as s:
        assert booking.load(s, short.id).status == "checked_out"
        assert booking.load(s, res.id).status == "checked_in"
