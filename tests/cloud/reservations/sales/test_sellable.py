"""The in-memory catalog copy: every catalog write changes the stamp, and bookings see the change."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog import service as catalog
from cloud.catalog.models import Floor, Property, RatePlan, RatePrice, Room, RoomType
from cloud.reservations.errors import UnknownResource
from cloud.reservations.sales import booking, rooms_inventory, sellable
from cloud.reservations.sales.booking import Booking
from cloud.reservations.sales.sellable import read_stamp
from tests.cloud.reservations.conftest import NOW
from tests.cloud.reservations.invariants import check_invariants

MON = date(2027, 3, 8)  # a Monday: the base price, no weekend, no season


def req(type_: str = "std", *, arrival: date = MON, nights: int = 1) -> Booking:
    return Booking(
        property="hotel",
        room_type=type_,
        rate_plan="flex",
        arrival=arrival,
        departure=arrival + timedelta(days=nights),
        guest_name="Ana Ruiz",
    )


def _base_price(s: Session, type_code: str) -> RatePrice:
    found = s.scalar(
        select(RatePrice)
        .join(RoomType, RoomType.id == RatePrice.room_type_id)
        .join(RatePlan, RatePlan.id == RatePrice.rate_plan_id)
        .where(
            RoomType.code == type_code,
            RatePlan.code == "flex",
            RatePrice.season_start.is_(None),
            RatePrice.weekdays.is_(None),
        )
    )
    assert found is not None
    return found


def test_a_new_price_reaches_the_next_booking(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        before = booking.book(s, req(), now=NOW).total_minor
    with sessions.begin() as s:
        _base_price(s, "std").amount_minor = before + 1234
    with sessions.begin() as s:  # the stale copy's sale is given back, the booking sold once
        assert booking.book(s, req(), now=NOW).total_minor == before + 1234
    with sessions() as s:
        check_invariants(s)


def test_a_rolled_back_price_is_never_served(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        before = booking.book(s, req(), now=NOW).total_minor
    with sessions() as s:
        _base_price(s, "std").amount_minor = 1
        s.flush()
        assert booking.book(s, req(), now=NOW).total_minor == 1  # its own uncommitted price
        s.rollback()
    with sessions.begin() as s:
        assert booking.book(s, req(), now=NOW).total_minor == before


def test_a_type_created_after_the_copy_can_be_booked(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        booking.book(s, req(), now=NOW)
    with pytest.raises(UnknownResource, match="lux"), sessions.begin() as s:
        booking.book(s, req("lux"), now=NOW)
    with sessions.begin() as s:
        prop = catalog.get_property(s, "hotel")
        lux = RoomType(property_id=prop.id, code="lux", name="Luxury", max_guests=2, rank=9)
        s.add(lux)
        s.flush()
        plan = catalog.rate_plan(s, prop, "flex")
        s.add(RatePrice(rate_plan_id=plan.id, room_type_id=lux.id, amount_minor=50000))
        floor = s.scalars(select(Floor).where(Floor.property_id == prop.id)).first()
        assert floor is not None
        room = rooms_inventory.add_room(s, prop, floor=floor, type_=lux, slug="penthouse", number=999)
        room_id = room.id
    with sessions.begin() as s:
        res = booking.book(s, req("lux"), now=NOW)
        assert res.total_minor == 50000
        held = s.execute(
            text("SELECT room_id FROM room_allocations WHERE reservation_id = :r"), {"r": res.id}
        )
        assert held.scalar_one() == room_id


@pytest.mark.parametrize(
    "table", ["properties", "floors", "room_types", "rooms", "rate_plans", "rate_prices"]
)
def test_every_catalog_table_write_gives_a_new_stamp(sessions: sessionmaker[Session], table: str) -> None:
    with sessions.begin() as s:
        first = read_stamp(s)
        model = {
            "properties": Property,
            "floors": Floor,
            "room_types": RoomType,
            "rooms": Room,
            "rate_plans": RatePlan,
            "rate_prices": RatePrice,
        }[table]
        row = s.scalars(select(model)).first()
        assert row is not None
        s.execute(update(model).where(model.id == row.id).values(id=row.id))  # a write that changes nothing
        second = read_stamp(s)
        assert second != first
    with sessions.begin() as s:
        assert read_stamp(s) == second


def test_copies_are_kept_per_engine(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        booking.book(s, req(), now=NOW)
        engine = s.get_bind()
        copy = sellable.cache_of(engine).get(s, "hotel", stamp=read_stamp(s))  # type: ignore[arg-type]
        assert copy.slug == "hotel" and {"std", "sup"} <= set(copy.types)
        assert len(copy.rooms) == s.scalar(select(text("count(*)")).select_from(Room))
