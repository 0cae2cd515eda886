"""The sender on its own: woken by PostgreSQL's notification at the commit of a change (never by
one rolled back), and run as a process of its own that the cloud starts once an OTA channel is
active, which pushes a desk booking to the stand-in OTA."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session, sessionmaker

from cloud.channels.context import sender_mode
from cloud.channels.models import Channel
from cloud.channels.ota import standin
from cloud.channels.sender import SenderProcess
from cloud.channels.settings import ChannelSettings
from cloud.channels.wakeup import PgWakeup, Wakeup, wakeup_for
from cloud.core.clock import utcnow
from cloud.core.nights import local_today
from cloud.reservations.sales import booking
from cloud.settings import Settings
from tests.cloud.channels.conftest import HOTEL_CODE, add_ota, seeded
from tests.support.db import migrated_engine


@pytest.fixture
def pg_sessions(pg_url: str) -> Iterator[sessionmaker[Session]]:
    engine = migrated_engine(pg_url, pool_size=4)
    yield seeded(engine)
    engine.dispose()


def test_the_mode_follows_the_database_unless_set() -> None:
    auto = ChannelSettings()
    assert sender_mode(auto, database_url="postgresql+psycopg://x/y") == "process"
    assert sender_mode(auto, database_url="sqlite:///x.db") == "thread"
    assert (
        sender_mode(ChannelSettings(channels_sender="external"), database_url="postgresql://x") == "external"
    )


def test_a_committed_change_wakes_the_sender_and_a_rolled_back_one_does_not(
    pg_sessions: sessionmaker[Session],
) -> None:
    add_ota(pg_sessions)
    wake = wakeup_for(pg_sessions.kw["bind"])
    assert isinstance(wake, PgWakeup)
    wake.start()
    try:
        assert wake.listening.wait(10)
        wake.wait(5)  # the nudge it gives itself once listening
        with pg_sessions() as session:  # a mark rolled back: no notification
            session.execute(text("UPDATE type_inventory SET sold = sold"))
            session.execute(text("INSERT INTO channel_changes (room_type_id) SELECT min(id) FROM room_types"))
            session.rollback()
        assert not wake.wait(0.5)
        with pg_sessions.begin() as session:
            session.execute(text("INSERT INTO channel_changes (room_type_id) SELECT min(id) FROM room_types"))
        started = time.monotonic()
        assert wake.wait(5) and time.monotonic() - started < 2
    finally:
        wake.stop()
    assert not Wakeup.notified  # elsewhere the sender polls at its interval


def test_the_cloud_starts_the_sender_process_which_pushes_a_desk_booking(
    pg_url: str, pg_sessions: sessionmaker[Session]
) -> None:
    ota = standin.StandInOta(hotel_code=HOTEL_CODE).start()
    settings = Settings(database_url=pg_url, channels=ChannelSettings(channels_sender="process"))
    with pg_sessions.begin() as session:
        session.execute(text("DELETE FROM channels"))
    sender = SenderProcess(settings, pg_sessions)
    try:
        assert sender.check() == 0  # no OTA channel yet: no process
        add_ota(pg_sessions, url=ota.url)
        with pg_sessions.begin() as session:
            session.execute(text("DELETE FROM channel_changes"))
        assert sender.check() == 1 and sender.process is not None
        arrival = local_today(utcnow(), "Europe/Madrid") + timedelta(days=3)
        with pg_sessions.begin() as session:
            booking.book(
                session,
                booking.Booking(
                    property="hotel",
                    room_type="std",
                    rate_plan="flex",
                    arrival=arrival,
                    departure=arrival + timedelta(days=1),
                    guest_name="Desk",
                ),
                now=utcnow(),
            )

        def starts() -> list[str | None]:  # the first night of every inventory count range pushed so far
            return [
                control.get("Start")
                for r in list(ota.accepted)
                if r.root == "OTA_HotelInvCountNotifRQ"
                for control in r.document.iterfind(".//{*}StatusApplicationControl")
            ]

        # Waits for a range starting at the booking's night (its count differs from the night
        # before): in a request of its own, or inside the nightly resync's, which a sender started
        # in that hour (02:00-03:00 UTC) sends at once from today on, the booking's mark merged
        # into it; the process imports for seconds on a loaded machine.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and arrival.isoformat() not in starts() and not ota.refused:
            time.sleep(0.1)
        assert arrival.isoformat() in starts() and not ota.refused, (starts(), ota.refused)
        assert sender.check() == 0  # alive: not started twice
        with pg_sessions.begin() as session:
            session.execute(update(Channel).values(paused=True))
    finally:
        process = sender.process
        sender.stop()
        ota.stop()
    assert process is not None and not process.is_alive()
