"""A door that opens by booking: the stay's own card opens it only within a slot the cloud booked for
its room (``facility.slot``), on both access stores; passes, staff and bad slots behave as stated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from access_fixtures import SITE, T0, Desk, State, trusted
from pydantic import ValidationError

from edge.access.commands import apply_command
from edge.access.decision import Reason, decide
from edge.access.scope import Door
from mqtt.access_messages import FacilitySlot
from mqtt.keycard import ALL_FLOORS, Area, Kind

POOL = Door(site=SITE, floor=0, area=Area.POOL, by_booking=True)
START = T0 + timedelta(hours=2)


def _slot(booking: str = "b1", *, room: int = 301, cancelled: bool = False, **more: object) -> FacilitySlot:
    body: dict[str, object] = {
        "booking_id": booking,
        "area": "pool",
        "floor": 3,
        "room": room,
        "start": START,
        "end": START + timedelta(hours=1),
        "cancelled": cancelled,
    }
    return FacilitySlot.model_validate(body | more)


def _tap(card: bytes, state: State, after: timedelta, door: Door = POOL) -> Reason:
    return decide(card, door=door, time=trusted(START + after), state=state).reason


def test_the_stays_card_opens_only_within_its_booked_slot(state: State, desk: Desk) -> None:
    card = desk.card()
    assert _tap(card, state, timedelta(0)) is Reason.NOT_BOOKED
    assert apply_command("c1", "facility.slot", data=_slot(), state=state, now=T0).ok
    assert _tap(card, state, timedelta(0)) is Reason.GRANTED
    assert _tap(card, state, timedelta(minutes=59)) is Reason.GRANTED
    assert _tap(card, state, timedelta(hours=1)) is Reason.NOT_BOOKED  # half-open: the end is out
    assert _tap(card, state, -timedelta(minutes=1)) is Reason.NOT_BOOKED
    assert _tap(desk.card(rooms=(302,)), state, timedelta(minutes=5)) is Reason.NOT_BOOKED  # another room
    gym = Door(site=SITE, floor=0, area=Area.GYM, by_booking=True)
    assert _tap(card, state, timedelta(minutes=5), gym) is Reason.NOT_BOOKED  # another facility
    assert _tap(card, state, timedelta(minutes=5), Door(site=SITE, floor=0, area=Area.GYM)) is Reason.GRANTED


def test_a_cancelled_slot_closes_the_door_again_and_a_repeat_changes_nothing(
    state: State, desk: Desk
) -> None:
    card = desk.card()
    apply_command("c1", "facility.slot", data=_slot(), state=state, now=T0)
    assert apply_command("c2", "facility.slot", data=_slot(cancelled=True), state=state, now=T0).ok
    assert _tap(card, state, timedelta(minutes=5)) is Reason.NOT_BOOKED
    again = apply_command("c1", "facility.slot", data=_slot(), state=state, now=T0)
    assert again.duplicate and _tap(card, state, timedelta(minutes=5)) is Reason.NOT_BOOKED


def test_passes_and_staff_are_not_held_to_bookings(state: State, desk: Desk) -> None:
    slot_pass = desk.card(
        at=START, valid_until=START + timedelta(hours=1), rooms=(), floor=ALL_FLOORS, areas=Area.POOL
    )
    assert _tap(slot_pass, state, timedelta(minutes=5)) is Reason.GRANTED  # its window is the slot
    staff = desk.card(
        kind=Kind.STAFF,
        rooms=(),
        floor=ALL_FLOORS,
        sequence=0,
        guest=0,
        areas=Area.POOL,
        lift_floors=frozenset(),
    )
    assert _tap(staff, state, timedelta(minutes=5)) is Reason.GRANTED


def test_the_purge_forgets_slots_that_are_over(state: State, desk: Desk) -> None:
    apply_command("c1", "facility.slot", data=_slot(), state=state, now=T0)
    state.purge(now=START + timedelta(hours=1))
    assert not state.slot_open(area=int(Area.POOL), floor=3, rooms=[301], at=START + timedelta(minutes=5))


@pytest.mark.parametrize(
    "bad",
    [
        {"end": START},
        {"end": START + timedelta(days=2)},
        {"area": "parking"},
        {"room": 0},
        {"floor": 255},
        {"booking_id": "x'; DROP TABLE"},
        {"start": START.replace(tzinfo=None)},
    ],
)
def test_a_hostile_slot_is_refused_by_the_contract(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _slot(**bad)


def test_only_an_area_door_opens_by_booking() -> None:
    with pytest.raises(ValueError, match="area door"):
        Door(site=SITE, floor=0, room=301, by_booking=True)
