from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cloud.auth.lockout import CLEAR, LockoutPolicy

T0 = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = LockoutPolicy(threshold=3, window=timedelta(minutes=15), duration=timedelta(minutes=10))


def test_third_failure_within_window_locks_for_duration() -> None:
    state = CLEAR
    for i in range(3):
        state = POLICY.after_failure(state, now=T0 + timedelta(minutes=i))
    assert POLICY.is_locked(state, now=T0 + timedelta(minutes=3))
    assert not POLICY.is_locked(state, now=T0 + timedelta(minutes=12, seconds=1))


def test_failures_spread_beyond_window_never_lock() -> None:
    state = CLEAR
    for i in range(10):
        state = POLICY.after_failure(state, now=T0 + timedelta(minutes=16 * i))
        assert not POLICY.is_locked(state, now=T0 + timedelta(minutes=16 * i))


@given(st.lists(st.integers(min_value=0, max_value=3600), max_size=30))
def test_lock_never_outlasts_duration_after_last_failure(offsets: list[int]) -> None:
    state, now = CLEAR, T0
    for seconds in sorted(offsets):
        now = T0 + timedelta(seconds=seconds)
        state = POLICY.after_failure(state, now=now)
    assert not POLICY.is_locked(state, now=now + POLICY.duration)
