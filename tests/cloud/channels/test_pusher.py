"""Push on change: triggers mark what can be sold, the outbox coalesces, the sender paces itself,
honours 429 and Retry-After, retries with backoff and sets aside what the channel refuses."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog.models import RatePrice, Restriction
from cloud.channels import outbox
from cloud.channels.models import Channel, ChannelChange, ChannelMapping, ChannelMessage, ChannelSync
from cloud.channels.ota import standin
from cloud.channels.ota.client import OtaChannel
from cloud.channels.pusher import AriPusher, PushSettings
from cloud.core.delivery import DeliveryError
from cloud.reservations.sales import booking, cancellation
from cloud.reservations.sales.booking import Booking
from tests.cloud.channels.conftest import HOTEL_CODE, NOW


@pytest.fixture
def ota() -> Iterator[standin.StandInOta]:
    server = standin.StandInOta(hotel_code=HOTEL_CODE).start()
    yield server
    server.stop()


@pytest.fixture
def pusher(
    sessions: sessionmaker[Session], channel: tuple[int, str], ota: standin.StandInOta
) -> Iterator[AriPusher]:
    with sessions.begin() as session:
        session.execute(update(Channel).values(endpoint_url=ota.url))
        session.execute(text("DELETE FROM channel_changes"))
    client = httpx.Client(timeout=5)
    yield AriPusher(
        sessions,
        clock=lambda: NOW,
        settings=PushSettings(horizon_days=60),
        port_for=lambda ch: OtaChannel(client, url=ch.endpoint_url or "", clock=lambda: NOW),
    )
    client.close()


def book(sessions: sessionmaker[Session], arrival: date, nights: int = 2, type_: str = "std") -> str:
    with sessions.begin() as session:
        res = booking.book(
            session,
            Booking(
                property="hotel",
                room_type=type_,
                rate_plan="flex",
                arrival=arrival,
                departure=arrival + timedelta(days=nights),
                guest_name="Desk",
            ),
            now=NOW,
        )
        return res.id


def queued(sessions: sessionmaker[Session]) -> list[tuple[str, date, date]]:
    with sessions() as session:
        return sorted(
            (m.kind, m.first_night, m.last_night)
            for m in session.scalars(select(ChannelMessage).where(ChannelMessage.status == "queued"))
        )


def plan(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        outbox.plan(session, now=NOW, horizon_days=60)


def test_a_desk_booking_marks_its_nights_only(sessions: sessionmaker[Session], pusher: AriPusher) -> None:
    book(sessions, date(2027, 3, 10))
    plan(sessions)
    nights = (date(2027, 3, 10), date(2027, 3, 11))
    assert queued(sessions) == [("availability", *nights), ("counts", *nights)]


def test_bookings_on_touching_nights_coalesce_into_one_message(
    sessions: sessionmaker[Session], pusher: AriPusher
) -> None:
    book(sessions, date(2027, 3, 10))
    plan(sessions)
    book(sessions, date(2027, 3, 12))
    book(sessions, date(2027, 3, 11))
    plan(sessions)
    assert queued(sessions) == [
        ("availability", date(2027, 3, 10), date(2027, 3, 13)),
        ("counts", date(2027, 3, 10), date(2027, 3, 13)),
    ]


def test_cancellation_price_and_restriction_edits_queue_their_kinds(
    sessions: sessionmaker[Session], pusher: AriPusher
) -> None:
    res_id = book(sessions, date(2027, 3, 10))
    plan(sessions)
    with sessions.begin() as session:
        session.execute(text("DELETE FROM channel_outbox"))
        cancellation.cancel(session, booking.load(session, res_id), now=NOW)
    plan(sessions)
    assert {k for k, *_ in queued(sessions)} == {"availability", "counts"}
    with sessions.begin() as session:
        session.execute(text("DELETE FROM channel_outbox"))
        session.execute(
            update(RatePrice).where(RatePrice.season_start == date(2027, 6, 15)).values(amount_minor=14000)
        )
        session.add(
            Restriction(property_id=1, start=date(2027, 3, 20), end=date(2027, 3, 22), closed_to_arrival=True)
        )
    plan(sessions)
    kinds = queued(sessions)
    assert ("restrictions", date(2027, 3, 20), date(2027, 3, 22)) in kinds
    assert not any(k == "rates" for k, *_ in kinds)  # the season is past the 60-night horizon


def test_a_room_out_of_order_queues_its_nights(sessions: sessionmaker[Session], pusher: AriPusher) -> None:
    from cloud.catalog import service as catalog
    from cloud.core.nights import Stay
    from cloud.reservations.sales import rooms_inventory

    with sessions.begin() as session:
        room = catalog.room_by_slug(session, catalog.get_property(session, "hotel"), "103")
        rooms_inventory.put_out_of_order(session, room, stay=Stay(date(2027, 4, 1), date(2027, 4, 3)))
    plan(sessions)
    assert ("counts", date(2027, 4, 1), date(2027, 4, 2)) in queued(sessions)


def test_a_paused_channel_queues_nothing(sessions: sessionmaker[Session], pusher: AriPusher) -> None:
    with sessions.begin() as session:
        session.execute(update(Channel).values(paused=True))
    book(sessions, date(2027, 3, 10))
    plan(sessions)
    assert queued(sessions) == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ChannelChange)) == 0  # no channel is active


def test_queued_messages_reach_the_stand_in_and_leave_the_outbox(
    sessions: sessionmaker[Session], pusher: AriPusher, ota: standin.StandInOta
) -> None:
    book(sessions, date(2027, 3, 10))
    assert pusher.tick() == 2
    assert sorted(r.root for r in ota.accepted) == ["OTA_HotelAvailNotifRQ", "OTA_HotelInvCountNotifRQ"]
    counts = next(r.document for r in ota.accepted if r.root == "OTA_HotelInvCountNotifRQ")
    assert [c.get("Count") for c in counts.iter("{*}InvCount")] == ["11"]
    assert queued(sessions) == []
    with sessions() as session:
        assert session.get(ChannelSync, (1, "push")).last_ok_at == NOW  # type: ignore[union-attr]


def test_a_429_is_honoured_and_the_message_kept(
    sessions: sessionmaker[Session], pusher: AriPusher, ota: standin.StandInOta
) -> None:
    ota.per_minute = 1
    book(sessions, date(2027, 3, 10))
    assert pusher.tick() == 1  # the second request of the round is over the channel's rate
    assert ota.throttled == 1
    with sessions() as session:
        row = session.scalars(select(ChannelMessage)).one()
        assert row.status == "queued" and "429" in row.last_error and row.next_at > NOW
    assert pusher.paces[1].blocked_until > 0
    later = AriPusher(sessions, clock=lambda: NOW + timedelta(minutes=5), port_for=pusher.port_for)
    later.paces = pusher.paces
    assert later.tick() == 0 and ota.throttled == 1  # due again, but Retry-After holds: no call at all


def test_a_failure_retries_later_with_backoff(
    sessions: sessionmaker[Session], pusher: AriPusher, ota: standin.StandInOta
) -> None:
    ota.fail_next = 1
    book(sessions, date(2027, 3, 10))
    assert pusher.tick() == 1  # availability and counts go in parallel: one of them met the 503
    with sessions() as session:
        row = session.scalars(select(ChannelMessage)).one()
        assert row.attempts == 1 and row.next_at == NOW + timedelta(seconds=5)
    later = AriPusher(
        sessions, clock=lambda: NOW + timedelta(seconds=6), port_for=pusher.port_for, settings=pusher.settings
    )
    assert later.tick() == 1 and queued(sessions) == []


def test_a_refused_message_is_set_aside_with_its_error(
    sessions: sessionmaker[Session], pusher: AriPusher
) -> None:
    class Refusing:
        def push(self, update: object) -> None:
            raise DeliveryError("unknown room code STD", permanent=True)

    pusher.port_for = lambda ch: Refusing()
    book(sessions, date(2027, 3, 10))
    pusher.tick()
    with sessions() as session:
        rows = session.scalars(select(ChannelMessage)).all()
        assert {r.status for r in rows} == {"failed"} and all("STD" in r.last_error for r in rows)


def test_a_full_resync_covers_every_mapping_and_kind(
    sessions: sessionmaker[Session], pusher: AriPusher, ota: standin.StandInOta
) -> None:
    with sessions.begin() as session:
        channel = session.get(Channel, 1)
        assert channel is not None
        assert outbox.resync(session, channel, now=NOW, horizon_days=60) == 8  # 2 types x 4 kinds
    sent = pusher.tick()
    assert sent == 4  # one request per kind, both types in it
    rates = next(r.document for r in ota.accepted if r.root == "OTA_HotelRateAmountNotifRQ")
    assert {c.get("InvTypeCode") for c in rates.iter("{*}StatusApplicationControl")} == {"STD", "SUP"}


def test_the_nightly_resync_runs_once_at_its_hour(sessions: sessionmaker[Session], pusher: AriPusher) -> None:
    at_two = NOW.replace(hour=2)
    nightly = AriPusher(
        sessions,
        clock=lambda: at_two,
        port_for=pusher.port_for,
        settings=PushSettings(horizon_days=60, nightly_hour_utc=2),
    )
    nightly.nightly()
    assert len(queued(sessions)) == 8  # 2 mapped types x 4 kinds, each over the horizon
    with sessions.begin() as session:
        session.execute(text("DELETE FROM channel_outbox"))
    nightly.nightly()
    assert queued(sessions) == []  # once a day
    AriPusher(sessions, clock=lambda: NOW, port_for=pusher.port_for).nightly()
    assert queued(sessions) == []  # not at another hour


def test_a_new_room_queues_its_type_over_the_horizon(
    sessions: sessionmaker[Session], pusher: AriPusher
) -> None:
    from cloud.catalog import service as catalog
    from cloud.catalog.models import Floor
    from cloud.reservations.sales import rooms_inventory

    with sessions.begin() as session:
        prop = catalog.get_property(session, "hotel")
        floor = session.scalars(select(Floor).where(Floor.property_id == prop.id)).first()
        assert floor is not None
        rooms_inventory.add_room(
            session, prop, floor=floor, type_=catalog.room_type(session, prop, "sup"), slug="301", number=301
        )
    plan(sessions)
    today = NOW.date()
    assert ("counts", today, today + timedelta(days=59)) in queued(sessions)


def test_pushes_carry_the_channel_s_credentials_and_the_stand_in_checks_them(
    sessions: sessionmaker[Session], ota: standin.StandInOta
) -> None:
    from cloud.channels.context import build_pusher
    from cloud.channels.settings import ChannelSettings

    ota.requestor = ("CM-77", "pw-9")
    ota.authorization = "Basic cG9zYWRhOmI0c2lj"  # posada:b4sic
    stored = {"requestor_id": "CM-77", "message_password": "pw-9", "username": "posada", "password": "b4sic"}
    with sessions.begin() as session:
        session.execute(update(Channel).values(endpoint_url=ota.url, credentials=stored))
        session.execute(update(ChannelMapping).values(occupancy_bp={"1": -2000}))
        session.execute(text("DELETE FROM channel_changes"))
        session.execute(update(RatePrice).values(amount_minor=10000))  # a price edit: rates queued
    client = httpx.Client(timeout=5)
    pusher = build_pusher(
        sessions, ChannelSettings(channels_horizon_days=60), clock=lambda: NOW, client=client
    )
    assert pusher.tick() >= 1 and ota.unauthorized == 0 and not ota.refused
    rates = next(r.document for r in ota.accepted if r.root == "OTA_HotelRateAmountNotifRQ")
    amounts = {
        (a.get("NumberOfGuests"), a.get("AmountAfterTax") or a.get("AmountBeforeTax"))
        for a in rates.iter("{*}BaseByGuestAmt")
    }
    assert ("1", "80.00") in amounts and ("2", "100.00") in amounts
    with sessions.begin() as session:  # the channel changed its password: refused, kept with the reason
        session.execute(update(Channel).values(credentials={**stored, "message_password": "old"}))
        session.execute(update(RatePrice).values(amount_minor=10500))
    pusher.tick()
    with sessions() as session:
        failed = session.scalars(select(ChannelMessage).where(ChannelMessage.status == "failed")).all()
        assert failed and "authorization failed" in failed[0].last_error and "old" not in failed[0].last_error
    ota.requestor = None
    with sessions.begin() as session:  # wrong Basic password: 401, permanent
        session.execute(update(Channel).values(credentials={"username": "posada", "password": "nope"}))
        session.execute(update(RatePrice).values(amount_minor=10600))
    pusher.tick()
    assert ota.unauthorized == 2
    client.close()


def test_a_paused_channel_sends_nothing_already_queued(
    sessions: sessionmaker[Session], pusher: AriPusher, ota: standin.StandInOta
) -> None:
    book(sessions, date(2027, 3, 10))
    with sessions.begin() as session:
        outbox.plan(session, now=NOW, horizon_days=60)
        session.execute(update(Channel).values(paused=True))
    assert pusher.tick() == 0 and ota.accepted == [] and len(queued(sessions)) == 2



def test_a_round_that_keeps_failing_backs_off_and_a_nudge_resumes_it(
    pusher: AriPusher, sessions: sessionmaker[Session], ota: standin.StandInOta
) -> None:
    """A fault outside any message (the database gone, a broken library) fails whole rounds: the
    sender waits longer after each (5 s, 10 s, ... at most a minute) instead of retrying five times
    a second and flooding the log; a nudge (a change, a resync) tries again at once."""
    book(sessions, NOW.date() + timedelta(days=3))
    broken, rounds = threading.Event(), []

    class Flaky:  # the round's first transaction fails; noting the failure works
        kw = sessions.kw

        def begin(self) -> Any:
            rounds.append(time.monotonic())
            if broken.is_set() and len(rounds) % 2:
                raise OSError("the database went away")
            return sessions.begin()

    broken.set()
    pusher.sessions = Flaky()  # type: ignore[assignment]
    pusher.start()
    try:
        time.sleep(1.5)
        assert len(rounds) == 2  # the round and its note, then a 5 s wait, not seven more tries
        with sessions() as session:
            shown = session.scalars(select(ChannelSync).where(ChannelSync.direction == "push")).one()
        assert shown.last_error == "the sender's round failed: OSError: the database went away"
        broken.clear()
        pusher.wake.set()
        deadline = time.monotonic() + 10
        while not ota.accepted and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ota.accepted
    finally:
        pusher.stop()
