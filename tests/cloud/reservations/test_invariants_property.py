"""Random sequences of book, modify, cancel, out-of-order and moves: the invariants hold after each step."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog import service as catalog
from cloud.core.errors import DomainError
from cloud.core.nights import Stay
from cloud.reservations.models import Reservation, ReservationNight, RoomAllocation, TypeInventory
from cloud.reservations.sales import booking, cancellation, rooms_inventory
from cloud.reservations.sales.booking import Booking
from cloud.reservations.stays import rooms
from tests.cloud.reservations.conftest import NOW
from tests.cloud.reservations.invariants import check_invariants

pytestmark = pytest.mark.slow  # seconds a test: in the full suite, not the fast lane

START = date(2027, 3, 8)
TYPES = ["std", "sup", "ste"]
ROOMS = [f"{f}{n:02d}" for f in (1, 2) for n in range(1, 11)]

days = st.integers(0, 12)
nights = st.integers(1, 4)
ops = st.one_of(
    st.tuples(st.just("book"), st.sampled_from(TYPES), days, nights, st.booleans()),
    st.tuples(st.just("modify"), st.integers(0, 40), st.sampled_from(TYPES), days, nights),
    st.tuples(st.just("cancel"), st.integers(0, 40)),
    st.tuples(st.just("out_of_order"), st.sampled_from(ROOMS), days, nights),
    st.tuples(st.just("move"), st.integers(0, 40), st.sampled_from(ROOMS)),
)


def _apply(s: Session, op: tuple[Any, ...], ids: list[str]) -> None:
    kind = op[0]
    if kind == "book":
        _, type_, offset, n, assign = op
        arrival = START + timedelta(days=offset)
        res = booking.book(
            s,
            Booking(
                property="hotel",
                room_type=type_,
                rate_plan="flex",
                arrival=arrival,
                departure=arrival + timedelta(days=n),
                guest_name="G",
                assign=assign,
            ),
            now=NOW,
        )
        ids.append(res.id)
        return
    if kind == "out_of_order":
        prop = catalog.get_property(s, "hotel")
        arrival = START + timedelta(days=op[2])
        rooms_inventory.put_out_of_order(
            s, catalog.room_by_slug(s, prop, op[1]), stay=Stay(arrival, arrival + timedelta(days=op[3]))
        )
        return
    if not ids:
        return
    res = booking.load(s, ids[op[1] % len(ids)])
    if kind == "cancel":
        cancellation.cancel(s, res, now=NOW)
    elif kind == "modify":
        arrival = START + timedelta(days=op[3])
        booking.modify(
            s, res, now=NOW, room_type=op[2], arrival=arrival, departure=arrival + timedelta(days=op[4])
        )
    else:
        rooms.move(s, res, room=catalog.room_by_slug(s, catalog.get_property(s, "hotel"), op[2]))


def _wipe(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        for table in (ReservationNight, RoomAllocation, Reservation, TypeInventory):
            s.execute(delete(table))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(ops, min_size=1, max_size=30))
def test_invariants_hold_after_every_step(
    sessions: sessionmaker[Session], steps: list[tuple[Any, ...]]
) -> None:
    _wipe(sessions)
    ids: list[str] = []
    for op in steps:
        try:
            with sessions.begin() as s:
                _apply(s, op, ids)
        except DomainError:
            pass  # refused as a whole: nothing of it may remain
        with sessions() as s:
            check_invariants(s)
    with sessions() as s:
        live = s.scalars(select(Reservation).where(Reservation.status == "booked")).all()
        assert all(r.total_minor > 0 for r in live)
