"""A change never rewrites what was sold: booked nights keep their prices, a room with stays to
come is neither removed nor retired before them, out-of-order periods never cover a stay."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog.models import Room
from cloud.reservations.errors import SoldOut
from cloud.reservations.models import Reservation, ReservationNight, RoomAllocation
from cloud.reservations.sales import booking, queries
from cloud.reservations.sales.booking import Booking
from cloud.setup import service
from cloud.setup.errors import SetupInvalid
from cloud.setup.exporting import find_property
from tests.cloud.setup.conftest import NOW, SITE, apply_data, hotel_data


def _book(
    sessions: sessionmaker[Session], *, arrival: date, departure: date, type_: str = "fam"
) -> Reservation:
    with sessions.begin() as s:
        return booking.book(
            s,
            Booking(
                property=SITE,
                room_type=type_,
                rate_plan="bar",
                arrival=arrival,
                departure=departure,
                guest_name="Ana Ruiz",
            ),
            now=NOW,
        )


def _room_of(sessions: sessionmaker[Session], res: Reservation) -> str:
    with sessions() as s:
        room = s.scalar(
            select(Room.slug)
            .join(RoomAllocation, RoomAllocation.room_id == Room.id)
            .where(RoomAllocation.reservation_id == res.id)
        )
    assert room is not None
    return room


def _refused(sessions: sessionmaker[Session], data: dict[str, Any], *, now: datetime = NOW) -> dict[str, str]:
    with sessions.begin() as s, pytest.raises(SetupInvalid) as refused:
        apply_data(s, data, now=now)
    return {p.path: p.message for p in refused.value.problems}


def _index(data: dict[str, Any], room: str) -> int:
    return next(i for i, r in enumerate(data["rooms"]) if r["id"] == room)


def test_booked_nights_keep_their_price_and_the_next_booking_gets_the_new_one(
    hotel: sessionmaker[Session],
) -> None:
    first = _book(hotel, arrival=date(2027, 3, 10), departure=date(2027, 3, 12))
    data = hotel_data()
    for price in data["prices"]:
        if price["type"] == "fam" and price["plan"] == "bar":
            price["amount_minor"] += 5000
    with hotel.begin() as s:
        diff = apply_data(s, data)
    assert {c.action for c in diff.changes} == {"update"} and len(diff.changes) == 3
    second = _book(hotel, arrival=date(2027, 3, 10), departure=date(2027, 3, 12))
    with hotel() as s:
        kept = s.scalars(
            select(ReservationNight.amount_minor).where(ReservationNight.reservation_id == first.id)
        )
        assert list(kept) == [11000, 11000]
        assert s.get(Reservation, first.id).total_minor == 22000  # type: ignore[union-attr]
    assert second.total_minor == 32000


def test_a_room_with_stays_to_come_cannot_be_removed_only_retired_after_them(
    hotel: sessionmaker[Session],
) -> None:
    res = _book(hotel, arrival=date(2027, 4, 1), departure=date(2027, 4, 5))
    room = _room_of(hotel, res)
    data = hotel_data()
    del data["rooms"][_index(data, room)]
    assert (
        "cannot be removed; retire it after them instead (retired_from: 2027-04-05)"
        in _refused(hotel, data)["rooms"]
    )
    data = hotel_data()
    data["rooms"][_index(data, room)]["retired_from"] = "2027-04-03"
    path = f"rooms[{_index(data, room)}].retired_from"
    assert _refused(hotel, data) == {path: "the room has stays until 2027-04-05: retire it from then on"}
    data["rooms"][_index(data, room)]["retired_from"] = "2027-04-05"
    with hotel.begin() as s:
        assert [c.action for c in apply_data(s, data).changes] == ["update"]
    with hotel() as s:
        prop = find_property(s, SITE)
        assert prop is not None
        before = {
            o.room_type.code: o.rooms_left
            for o in queries.availability(
                s, prop, stay=booking.make_stay(date(2027, 4, 2), date(2027, 4, 3)), guests=1
            )
        }
        after = {
            o.room_type.code: o.rooms_left
            for o in queries.availability(
                s, prop, stay=booking.make_stay(date(2027, 4, 6), date(2027, 4, 7)), guests=1
            )
        }
    assert before["fam"] == after["fam"] == 12 - 1  # its stay holds it, then its retirement
    for _ in range(11):  # every other family room, then none: the retired room is never sold
        _book(hotel, arrival=date(2027, 4, 6), departure=date(2027, 4, 8))
    with pytest.raises(SoldOut):
        _book(hotel, arrival=date(2027, 4, 6), departure=date(2027, 4, 8))


def test_a_removed_room_whose_stays_are_over_is_retired_not_deleted(hotel: sessionmaker[Session]) -> None:
    res = _book(hotel, arrival=date(2027, 3, 2), departure=date(2027, 3, 4))
    room = _room_of(hotel, res)
    data = hotel_data()
    del data["rooms"][_index(data, room)]
    later = datetime(2027, 3, 20, 15, tzinfo=UTC)
    with hotel.begin() as s:
        diff = apply_data(s, data, now=later)
        assert [(c.action, c.key) for c in diff.changes] == [("retire", room)]
        exported = service.export(s, SITE, now=later)
    assert [r.retired_from for r in exported.rooms if r.id == room] == [date(2027, 3, 20)]
    with hotel.begin() as s:
        assert apply_data(s, data, now=later).empty  # retired already


def test_a_room_that_never_held_a_stay_is_deleted(hotel: sessionmaker[Session]) -> None:
    data = hotel_data()
    del data["rooms"][_index(data, "220")]
    with hotel.begin() as s:
        assert [(c.action, c.key) for c in apply_data(s, data).changes] == [("delete", "220")]
    with hotel() as s:
        assert s.scalar(select(Room).where(Room.slug == "220")) is None


def test_out_of_order_over_booked_nights_is_refused_with_the_stays_to_move(
    hotel: sessionmaker[Session],
) -> None:
    res = _book(hotel, arrival=date(2027, 6, 1), departure=date(2027, 6, 4))
    room = _room_of(hotel, res)
    data = hotel_data()
    data["out_of_order"].append({"room": room, "from": "2027-06-03", "until": "2027-06-10", "note": "paint"})
    found = _refused(hotel, data)
    assert found == {
        "out_of_order[1]": f"room {room!r} has stays on those nights; move them first: "
        f"{res.id} (2027-06-01..2027-06-04)"
    }
    data["out_of_order"][1]["from"] = "2027-06-04"
    with hotel.begin() as s:
        assert [c.action for c in apply_data(s, data).changes] == ["create"]
    with hotel() as s:
        periods = s.scalars(select(RoomAllocation).where(RoomAllocation.kind == "out_of_order"))
        assert sorted((p.start_night, p.end_night) for p in periods) == [
            (date(2027, 5, 1), date(2027, 5, 10)),
            (date(2027, 6, 4), date(2027, 6, 10)),
        ]


def test_a_sold_room_type_or_rate_plan_cannot_be_removed(hotel: sessionmaker[Session]) -> None:
    _book(hotel, arrival=date(2027, 3, 10), departure=date(2027, 3, 12), type_="ste")
    data = hotel_data()
    data["rooms"] = [r for r in data["rooms"] if r["type"] != "ste"]
    data["room_types"] = [t for t in data["room_types"] if t["code"] != "ste"]
    data["prices"] = [p for p in data["prices"] if p["type"] != "ste" and p["plan"] != "bar"]
    data["restrictions"] = [
        r for r in data["restrictions"] if r.get("type") != "ste" and r.get("plan") != "bar"
    ]
    data["rate_plans"] = [p for p in data["rate_plans"] if p["code"] != "bar"]
    found = _refused(hotel, data)
    assert found["room_types"] == "room type 'ste' was sold (1 reservations): it cannot be removed"
    assert found["rate_plans"] == "rate plan 'bar' was sold (1 reservations): it cannot be removed"
