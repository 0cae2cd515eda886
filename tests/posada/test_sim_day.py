"""The simulated day's rates (pure)."""

from __future__ import annotations

import pytest

from posada.sim_day import HOURLY, SECONDS_PER_DAY, STEPS_PER_ROOM_DAY, DayProfile


def test_a_whole_day_at_the_profile_makes_the_day_s_steps() -> None:
    profile = DayProfile(rooms=30)
    steps = sum(profile.steps_per_second(hour) * 3600 for hour in range(24))
    assert steps == pytest.approx(30 * STEPS_PER_ROOM_DAY)


def test_mornings_are_busier_than_nights_and_speed_scales_the_rate() -> None:
    profile, fast = DayProfile(rooms=10), DayProfile(rooms=10, speed=60)
    assert profile.steps_per_second(8) > 10 * profile.steps_per_second(3)
    assert fast.steps_per_second(8) == pytest.approx(60 * profile.steps_per_second(8))
    assert len(HOURLY) == 24


def test_the_simulated_hour_runs_at_the_speed_and_wraps_at_midnight() -> None:
    profile = DayProfile(rooms=1, speed=3600)
    assert profile.hour_at(1.0, start_hour=7) == pytest.approx(8)
    assert profile.hour_at(20.0, start_hour=7) == pytest.approx(3)
    assert DayProfile(rooms=1).hour_at(SECONDS_PER_DAY, start_hour=0) == pytest.approx(0)


@pytest.mark.parametrize(
    "kwargs", [{"rooms": 0}, {"rooms": 1, "speed": 0}, {"rooms": 1, "steps_per_room_day": -1}]
)
def test_a_floor_without_rooms_or_time_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        DayProfile(**kwargs)  # type: ignore[arg-type]
