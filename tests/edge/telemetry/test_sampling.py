from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.telemetry.sampling import DrainBudget, Sampler, SamplingPolicy

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_first_reading_is_always_sent():
    assert Sampler().offer("101", {"temperature_c": 21.0}, T0) == {"temperature_c": 21.0}


def test_change_inside_deadband_is_held_until_max_interval():
    sampler = Sampler(SamplingPolicy(max_interval_s=60, deadbands={"temperature_c": 0.5}))
    sampler.offer("101", {"temperature_c": 21.0}, T0)
    assert sampler.offer("101", {"temperature_c": 21.4}, T0 + timedelta(seconds=10)) == {}
    assert sampler.offer("101", {"temperature_c": 21.4}, T0 + timedelta(seconds=60)) == {
        "temperature_c": 21.4}


def test_boolean_change_is_sent_at_once():
    sampler = Sampler()
    sampler.offer("101", {"door_open": False}, T0)
    assert sampler.offer("101", {"door_open": True}, T0 + timedelta(seconds=1)) == {"door_open": True}


def test_rooms_are_sampled_independently():
    sampler = Sampler()
    sampler.offer("101", {"occupied": True}, T0)
    assert sampler.offer("102", {"occupied": True}, T0) == {"occupied": True}


def test_negative_deadband_is_refused():
    with pytest.raises(ValueError):
        SamplingPolicy(deadbands={"temperature_c": -1})


@given(st.lists(st.floats(min_value=-50, max_value=80, allow_nan=False), min_size=1, max_size=200),
       st.floats(min_value=0.01, max_value=5))
def test_sent_value_never_lags_the_sensor_by_a_deadband_or_more(values, band):
    sampler = Sampler(SamplingPolicy(max_interval_s=1e9, deadbands={"temperature_c": band}))
    last_sent = None
    for i, value in enumerate(values):
        due = sampler.offer("101", {"temperature_c": value}, T0 + timedelta(seconds=i))
        if due:
            last_sent = due["temperature_c"]
        assert abs(value - last_sent) < band


@given(st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=100))
def test_no_gap_between_sends_exceeds_max_interval_plus_one_step(steps):
    sampler = Sampler(SamplingPolicy(max_interval_s=60))
    now, last = T0, None
    for step in steps:
        if sampler.offer("101", {"temperature_c": 20.0}, now):
            if last is not None:
                assert (now - last).total_seconds() < 60 + 30
            last = now
        now += timedelta(seconds=step)


def test_drain_budget_refills_at_its_rate_and_caps_at_burst():
    budget = DrainBudget(rate_per_s=2, burst=3)
    assert budget.take(T0, 10) == 3
    assert budget.take(T0, 10) == 0
    assert budget.take(T0 + timedelta(seconds=1), 10) == 2
    assert budget.take(T0 + timedelta(seconds=100), 10) == 3


def test_drain_budget_survives_a_clock_step_backwards():
    budget = DrainBudget(rate_per_s=1, burst=1)
    assert budget.take(T0, 1) == 1
    assert budget.take(T0 - timedelta(hours=1), 1) == 0
