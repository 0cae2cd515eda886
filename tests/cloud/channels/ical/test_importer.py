"""Importing a channel's feed: holds upserted by UID through the booking path, moved when dates
change, released when the UID vanishes; a refused feed keeps the last good state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import httpx
import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog import service as catalog
from cloud.channels import registry
from cloud.channels.ical.fetch import fetch
from cloud.channels.ical.importer import import_feed
from cloud.channels.models import ChannelProblem, ChannelReservation, ChannelSync
from cloud.reservations.models import Reservation
from tests.cloud.channels.conftest import NOW
from tests.cloud.channels.ical.test_feed import feed

URL = "https://airbnb.example/calendar/123.ics"


@pytest.fixture
def ical(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions.begin() as session:
        prop = catalog.get_property(session, "hotel")
        channel, _secret = registry.create(
            session, prop, registry.NewChannel(code="airbnb", name="Airbnb", kind="ical"), now=NOW
        )
        mapping = registry.set_mapping(
            session,
            channel,
            room_type="ste",
            rate_plan="flex",
            room_code="suite",
            rate_code="any",
            import_url=URL,
        )
        return channel.id, mapping.id


def run(sessions: sessionmaker[Session], ical: tuple[int, int], data: bytes | Callable[[str], bytes]) -> bool:
    source = data if callable(data) else (lambda url: data)
    return import_feed(sessions, *ical, fetch=source, now=NOW, ledger=None)


def holds(sessions: sessionmaker[Session]) -> list[tuple[str, date, date, str]]:
    with sessions() as session:
        rows = session.execute(
            select(Reservation.status, Reservation.arrival, Reservation.departure, ChannelReservation.status)
            .join(ChannelReservation, ChannelReservation.reservation_id == Reservation.id)
            .order_by(Reservation.arrival)
        ).all()
        return [tuple(r) for r in rows]  # type: ignore[misc]


EVENT = "UID:r1@airbnb\r\nDTSTART;VALUE=DATE:20270310\r\nDTEND;VALUE=DATE:20270313\r\nSUMMARY:Reserved\r\n"


def test_a_new_uid_holds_its_nights_until_the_exclusive_dtend(
    sessions: sessionmaker[Session], ical: tuple[int, int]
) -> None:
    assert run(sessions, ical, feed(EVENT))
    assert holds(sessions) == [("booked", date(2027, 3, 10), date(2027, 3, 13), "booked")]
    with sessions() as session:
        assert session.get(ChannelSync, (ical[0], "pull")).last_ok_at == NOW  # type: ignore[union-attr]


def test_reimporting_the_same_feed_changes_nothing(
    sessions: sessionmaker[Session], ical: tuple[int, int]
) -> None:
    run(sessions, ical, feed(EVENT))
    run(sessions, ical, feed(EVENT))
    assert len(holds(sessions)) == 1


def test_changed_dates_move_the_hold(sessions: sessionmaker[Session], ical: tuple[int, int]) -> None:
    run(sessions, ical, feed(EVENT))
    run(sessions, ical, feed(EVENT.replace("20270313", "20270315")))
    assert holds(sessions) == [("booked", date(2027, 3, 10), date(2027, 3, 15), "booked")]


def test_a_vanished_uid_releases_the_hold(sessions: sessionmaker[Session], ical: tuple[int, int]) -> None:
    run(sessions, ical, feed(EVENT))
    run(sessions, ical, feed())
    assert holds(sessions) == [("cancelled", date(2027, 3, 10), date(2027, 3, 13), "cancelled")]
    with sessions() as session:
        assert session.execute(text("SELECT coalesce(sum(sold), 0) FROM type_inventory")).scalar() == 0


def test_a_malformed_feed_is_refused_and_the_last_good_state_kept(
    sessions: sessionmaker[Session], ical: tuple[int, int]
) -> None:
    run(sessions, ical, feed(EVENT))
    assert not run(sessions, ical, feed("UID:x\r\nbroken line\r\n"))
    assert holds(sessions) == [("booked", date(2027, 3, 10), date(2027, 3, 13), "booked")]
    with sessions() as session:
        reason = session.scalars(select(ChannelProblem.reason)).one()
        assert "line 6" in reason and URL in reason
        assert "line 6" in session.get(ChannelSync, (ical[0], "pull")).last_error  # type: ignore[union-attr]


def test_a_sold_out_night_makes_an_overbooking_not_a_lost_hold(
    sessions: sessionmaker[Session], ical: tuple[int, int]
) -> None:
    run(sessions, ical, feed(EVENT))
    other = EVENT.replace("r1@airbnb", "r2@airbnb").replace("20270310", "20270311")
    run(sessions, ical, feed(EVENT, other, other.replace("r2@", "r3@")))  # two suites: the third overbooks
    with sessions() as session:
        states = sorted(session.scalars(select(ChannelReservation.status)).all())
        assert states == ["booked", "booked", "overbooked"]
        assert (
            session.execute(text("SELECT count(*) FROM type_inventory WHERE sold > capacity")).scalar() == 0
        )


def test_a_feed_over_the_size_limit_is_refused(
    sessions: sessionmaker[Session], ical: tuple[int, int], httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/big.ics").respond_with_data(
        feed(EVENT) + b" " * 5000, content_type="text/calendar"
    )
    with httpx.Client() as client:
        assert not run(
            sessions, ical, lambda url: fetch(client, httpserver.url_for("/big.ics"), max_bytes=2048)
        )
    assert holds(sessions) == []
    with sessions() as session:
        assert "over the limit" in session.scalars(select(ChannelProblem.reason)).one()


def test_an_unreachable_feed_is_noted_and_changes_nothing(
    sessions: sessionmaker[Session], ical: tuple[int, int], httpserver: HTTPServer
) -> None:
    run(sessions, ical, feed(EVENT))
    httpserver.expect_request("/gone.ics").respond_with_data("no", status=503)
    with httpx.Client() as client:
        assert not run(
            sessions, ical, lambda url: fetch(client, httpserver.url_for("/gone.ics"), max_bytes=10_000)
        )
    assert len(holds(sessions)) == 1
