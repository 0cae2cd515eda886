from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.auth.throttle import CLEAR, NO_WAIT, Throttle

T0 = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = Throttle(free=3, window=timedelta(minutes=15), first_wait=timedelta(seconds=1),
                  longest_wait=timedelta(seconds=60))


def test_failures_under_the_free_count_impose_no_wait() -> None:
    state = CLEAR
    for i in range(2):
        state = POLICY.after_failure(state, now=T0 + timedelta(seconds=i))
    assert POLICY.wait(state, now=T0 + timedelta(seconds=2)) == NO_WAIT


def test_waits_double_from_the_free_count_up_to_the_longest() -> None:
    state, now, waits = CLEAR, T0, []
    for _ in range(12):
        state = POLICY.after_failure(state, now=now)
        waits.append(POLICY.wait(state, now=now).total_seconds())
        now += POLICY.wait(state, now=now) + timedelta(milliseconds=1)
    assert waits == [0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60, 60]


def test_a_quiet_spell_forgets_the_failures() -> None:
    state = CLEAR
    for i in range(5):
        state = POLICY.after_failure(state, now=T0 + timedelta(seconds=30 * i))
    later = T0 + timedelta(minutes=30)
    assert POLICY.after_failure(state, now=later).failures == 1


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=7200), max_size=40))
def test_no_wait_ever_outlasts_the_longest(offsets: list[int]) -> None:
    state, now = CLEAR, T0
    for seconds in sorted(offsets):
        now = T0 + timedelta(seconds=seconds)
        if POLICY.wait(state, now=now) == NO_WAIT:
            state = POLICY.after_failure(state, now=now)
        assert POLICY.wait(state, now=now) <= POLICY.longest_wait
    assert POLICY.wait(state, now=now + POLICY.longest_wait) == NO_WAIT
