"""Attendance arithmetic, pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from cloud.operations.attendance.hours import Punch, week, week_start

pytestmark = pytest.mark.unit


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2027, 3, day, hh, mm, tzinfo=UTC)


def test_paired_punches_add_up_and_an_odd_one_is_a_missing_punch() -> None:
    punches = [
        Punch("ana", at(1, 8)),
        Punch("ana", at(1, 12)),
        Punch("ana", at(1, 13)),
        Punch("ana", at(1, 17, 30)),
        Punch("ana", at(2, 8, 20)),
    ]
    (ana,) = week(punches, shift_starts={"ana": time(8)})
    assert ana.minutes == 8 * 60 + 30 and ana.hours == "8:30"
    assert ana.missing == [date(2027, 3, 2)] and ana.late == [date(2027, 3, 2)]


def test_within_the_grace_is_not_late() -> None:
    (bo,) = week([Punch("bo", at(1, 8, 5)), Punch("bo", at(1, 16))], shift_starts={"bo": time(8)})
    assert bo.late == [] and bo.missing == []


def test_an_iso_week_starts_on_its_monday() -> None:
    assert week_start("2027-W09") == date(2027, 3, 1)
    with pytest.raises(ValueError):
        week_start("2027-W99")
