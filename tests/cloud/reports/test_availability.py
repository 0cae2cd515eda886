"""Rooms available per night: retired rooms leave, out-of-order rooms stay or leave by the setting."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.reports.availability import OutOfOrder, OutOfOrderRow, RoomRow, available

START, END = date(2027, 3, 1), date(2027, 3, 8)


def test_a_retired_room_stops_counting_on_its_night() -> None:
    rooms = [RoomRow(1, None), RoomRow(1, date(2027, 3, 4))]
    counts = available(rooms, [], start=START, end=END, setting=OutOfOrder.AVAILABLE)
    assert counts[(date(2027, 3, 3), 1)] == (2, 0)
    assert counts[(date(2027, 3, 4), 1)] == (1, 0)


def test_out_of_order_counted_as_the_setting_says() -> None:
    rooms = [RoomRow(1, None), RoomRow(2, None)]
    broken = [OutOfOrderRow(2, date(2027, 2, 27), date(2027, 3, 3))]
    usali = available(rooms, broken, start=START, end=END, setting=OutOfOrder.AVAILABLE)
    opera = available(rooms, broken, start=START, end=END, setting=OutOfOrder.EXCLUDED)
    assert usali[(date(2027, 3, 2), 2)] == (1, 1)
    assert opera[(date(2027, 3, 2), 2)] == (0, 1)
    assert opera[(date(2027, 3, 3), 2)] == (1, 0)  # the period's end is exclusive


@settings(max_examples=40)
@given(st.lists(st.tuples(st.integers(1, 3), st.none() | st.integers(0, 10)), max_size=12),
       st.sampled_from(list(OutOfOrder)))
def test_totals_never_exceed_the_rooms(spec: list[tuple[int, int | None]], setting: OutOfOrder) -> None:
    rooms = [RoomRow(t, None if r is None else START + timedelta(days=r)) for t, r in spec]
    counts = available(rooms, [], start=START, end=END, setting=setting)
    for night in range(7):
        day = START + timedelta(days=night)
        assert sum(v[0] for k, v in counts.items() if k[0] == day) <= len(rooms)
