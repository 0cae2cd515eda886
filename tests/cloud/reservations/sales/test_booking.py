"""Booking, modifying, cancelling and no-shows against SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.catalog import service as catalog
from cloud.core.nights import Stay
from cloud.reservations.errors import InvalidRequest, RoomUnavailable, SoldOut, WrongState
from cloud.reservations.models import Reservation, ReservationNight, RoomAllocation
from cloud.reservations.sales import booking, cancellation, rooms_inventory
from cloud.reservations.sales.booking import Booking
from tests.cloud.reservations.conftest import NOW
from tests.cloud.reservations.invariants import check_invariants

MON = date(2027, 3, 8)


def req(
    arrival: date = MON, nights: int = 2, *, type_: str = "std", rate: str = "flex", **kw: object
) -> Booking:
    return Booking(
        property="hotel",
        room_type=type_,
        rate_plan=rate,
        arrival=arrival,
        departure=arrival + timedelta(days=nights),
        guest_name="Ana Ruiz",
        **kw,
    )  # type: ignore[arg-type]


def test_booking_prices_every_night_and_assigns_one_room(session: Session) -> None:
    res = booking.book(session, req(date(2027, 3, 11), 3), now=NOW)  # Thu, Fri, Sat nights
    nights = session.scalars(
        select(ReservationNight.amount_minor)
        .where(ReservationNight.reservation_id == res.id)
        .order_by(ReservationNight.night)
    ).all()
    assert nights == [9000, 11000, 11000]
    assert res.total_minor == 31000 and res.deposit_required_minor == 9000
    allocs = session.scalars(select(RoomAllocation).where(RoomAllocation.reservation_id == res.id)).all()
    assert len(allocs) == 1 and (allocs[0].start_night, allocs[0].end_night) == (res.arrival, res.departure)
    assert res.checkout_due_at.isoformat() == "2027-03-14T10:00:00+00:00"  # 11:00 in Madrid (CET)
    check_invariants(session)


def test_twelfth_standard_room_is_the_last_and_the_thirteenth_is_sold_out(session: Session) -> None:
    for _ in range(12):
        booking.book(session, req(), now=NOW)
    with pytest.raises(SoldOut):
        booking.book(session, req(), now=NOW)
    booking.book(session, req(MON + timedelta(days=2)), now=NOW)  # the next nights are free again
    check_invariants(session)


def test_nonrefundable_cancellation_costs_everything_and_flexible_nothing_early(session: Session) -> None:
    flex = booking.book(session, req(), now=NOW)
    nonref = booking.book(session, req(rate="nonref"), now=NOW)
    cancellation.cancel(session, flex, now=NOW)
    cancellation.cancel(session, nonref, now=NOW)
    assert flex.cancellation_fee_minor == 0
    assert nonref.cancellation_fee_minor == nonref.total_minor == 16200
    with pytest.raises(WrongState):
        cancellation.cancel(session, flex, now=NOW)
    check_invariants(session)


def test_flexible_cancellation_inside_the_window_costs_the_first_night(session: Session) -> None:
    res = booking.book(session, req(), now=NOW)
    cancellation.cancel(session, res, now=NOW + timedelta(days=7))  # the day before arrival
    assert res.cancellation_fee_minor == 9000


def test_modify_moves_the_stay_and_reprices(session: Session) -> None:
    res = booking.book(session, req(), now=NOW)
    booking.modify(
        session,
        res,
        now=NOW,
        arrival=MON + timedelta(days=3),
        departure=MON + timedelta(days=6),
        room_type="sup",
        adults=3,
    )
    assert (res.arrival, res.departure) == (date(2027, 3, 11), date(2027, 3, 14))
    assert res.total_minor == 12000 + 14000 + 14000
    check_invariants(session)


def test_modify_into_a_sold_out_type_is_refused(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        keep = booking.book(s, req(), now=NOW).id
        for _ in range(2):
            booking.book(s, req(type_="ste"), now=NOW)
    with pytest.raises(SoldOut), sessions.begin() as s:
        booking.modify(s, booking.load(s, keep), now=NOW, room_type="ste")
    with sessions() as s:
        res = booking.load(s, keep)
        assert res.room_type_id == catalog.room_type(s, catalog.get_property(s, "hotel"), "std").id
        check_invariants(s)


def test_guests_beyond_the_type_and_past_arrivals_and_short_stays_are_refused(session: Session) -> None:
    with pytest.raises(InvalidRequest):
        booking.book(session, req(adults=3), now=NOW)
    with pytest.raises(InvalidRequest):
        booking.book(session, req(date(2027, 2, 27)), now=NOW)
    with pytest.raises(InvalidRequest, match="at least 2 nights"):
        booking.book(session, req(date(2027, 7, 1), 1), now=NOW)
    with pytest.raises(InvalidRequest):
        booking.book(session, req(MON, 0), now=NOW)


def test_no_show_frees_the_room_from_the_day_after_arrival(session: Session) -> None:
    res = booking.book(session, req(), now=NOW)
    with pytest.raises(InvalidRequest):
        cancellation.no_show(session, res, now=NOW)
    cancellation.no_show(session, res, now=NOW + timedelta(days=8))
    assert res.status == "no_show" and res.cancellation_fee_minor == 9000
    check_invariants(session)


def test_out_of_order_room_leaves_the_type_one_short(session: Session) -> None:
    prop = catalog.get_property(session, "hotel")
    ste = catalog.room_by_slug(session, prop, "110")
    rooms_inventory.put_out_of_order(session, ste, stay=Stay(MON, MON + timedelta(days=2)), note="leak")
    booking.book(session, req(type_="ste"), now=NOW)
    with pytest.raises(SoldOut):
        booking.book(session, req(type_="ste"), now=NOW)
    other = catalog.room_by_slug(session, prop, "210")
    with pytest.raises((RoomUnavailable, SoldOut)):
        rooms_inventory.put_out_of_order(session, other, stay=Stay(MON, MON + timedelta(days=1)))
    check_invariants(session)


def test_database_refuses_a_second_holder_of_a_room_night(session: Session) -> None:
    res = booking.book(session, req(), now=NOW)
    alloc = session.scalars(select(RoomAllocation).where(RoomAllocation.reservation_id == res.id)).one()
    other = booking.book(session, req(MON + timedelta(days=5)), now=NOW)
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            RoomAllocation(
                room_id=alloc.room_id,
                reservation_id=other.id,
                kind="stay",
                start_night=MON + timedelta(days=1),
                end_night=MON + timedelta(days=3),
            )
        )
        session.flush()
        if session.get_bind().dialect.name == "sqlite":
            session.execute(
                text(
                    "INSERT INTO room_nights (room_id, night, allocation_id) "
                    "SELECT :room, :night, max(id) FROM room_allocations"
                ),
                {"room": alloc.room_id, "night": MON + timedelta(days=1)},
            )


def test_database_refuses_overselling_a_type(session: Session) -> None:
    booking.book(session, req(type_="ste"), now=NOW)
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(text("UPDATE type_inventory SET sold = capacity + 1"))


def test_reservation_total_is_the_sum_of_its_nights(session: Session) -> None:
    res = booking.book(session, req(date(2027, 6, 13), 4), now=NOW)  # crosses into summer
    assert res.total_minor == 9000 + 9000 + 13500 + 13500  # Sun, Mon, then summer from the 15th
    assert session.get(Reservation, res.id) is res
