"""The board lists floors and rooms in the order people count them."""

from __future__ import annotations

from cloud.housekeeping.queries import natural


def test_floors_and_rooms_sort_by_their_numbers() -> None:
    assert sorted(["f10", "f2", "f1", "lobby", "f2b"], key=natural) == ["f1", "f2", "f2b", "f10", "lobby"]
    assert sorted(["1001", "99", "100", "0"], key=natural) == ["0", "99", "100", "1001"]
    assert sorted(["b1", "a10", "a9"], key=natural) == ["a9", "a10", "b1"]
