"""Facility slots, pure: hours, half-open intervals, capacity."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.operations.facilities.slots import Hours, Slot, SlotRefused, check_capacity, check_slot, peak_load

pytestmark = pytest.mark.unit
DAY = datetime(2027, 3, 1, tzinfo=UTC)
HOURS = Hours(time(7), time(22))


def at(h: int, m: int = 0) -> datetime:
    return DAY + timedelta(hours=h, minutes=m)


def test_touching_slots_do_not_clash_in_a_room_for_one() -> None:
    booked = [(Slot(at(16), at(17)), 1)]
    check_capacity(Slot(at(17), at(18)), guests=1, capacity=1, booked=booked)
    with pytest.raises(SlotRefused) as refused:
        check_capacity(Slot(at(16, 30), at(17, 30)), guests=1, capacity=1, booked=booked)
    assert refused.value.reason == "full"


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        (time(6, 30), time(7, 30), "hours"),
        (time(21, 30), time(22, 30), "hours"),
        (time(18), time(17), "order"),
        (time(17), time(17, 20), "length"),
    ],
)
def test_a_slot_outside_the_hours_or_of_a_broken_length_is_refused(
    start: time, end: time, reason: str
) -> None:
    with pytest.raises(SlotRefused) as refused:
        check_slot(start=start, end=end, hours=HOURS, slot_minutes=30)
    assert refused.value.reason == reason


def test_a_pool_takes_guests_up_to_its_capacity_at_once() -> None:
    booked = [(Slot(at(17), at(18)), 3), (Slot(at(17, 30), at(18, 30)), 2)]
    assert peak_load(Slot(at(17), at(19)), booked) == 5
    check_capacity(Slot(at(18), at(19)), guests=4, capacity=6, booked=booked)
    with pytest.raises(SlotRefused):
        check_capacity(Slot(at(17, 30), at(18)), guests=2, capacity=6, booked=booked)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 20), st.integers(1, 4)), max_size=6),
    st.integers(0, 20),
    st.integers(1, 4),
)
def test_the_peak_never_exceeds_the_sum_and_disjoint_slots_add_nothing(
    raw: list[tuple[int, int]], start: int, length: int
) -> None:
    booked = [(Slot(at(s), at(s + n)), 1) for s, n in raw]
    slot = Slot(at(start), at(start + length))
    peak = peak_load(slot, booked)
    assert 0 <= peak <= sum(1 for b, _ in booked if b.overlaps(slot))
    assert peak_load(slot, [b for b in booked if not b[0].overlaps(slot)]) == 0
