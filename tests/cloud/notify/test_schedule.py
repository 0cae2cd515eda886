from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cloud.notify.schedule import ReminderPlan, due_reminders

PLAN = ReminderPlan(before_arrival=timedelta(hours=48), checkout_before=timedelta(hours=2),
                    after_departure=(timedelta(hours=24), timedelta(hours=72),
                                     timedelta(hours=168)), escalate_after=2)
ARRIVAL = datetime(2026, 12, 1, 15, tzinfo=UTC)
CHECKOUT = datetime(2026, 12, 3, 11, tzinfo=UTC)


def keys(now: datetime, *, owed: bool = True, departed: datetime | None = None) -> list[str]:
    return [d.key for d in due_reminders(PLAN, now=now, owed=owed, arrival_at=ARRIVAL,
                                         checkout_at=CHECKOUT, departed_at=departed)]


def test_balance_reminder_in_the_two_days_before_arrival_only_if_owed() -> None:
    assert keys(ARRIVAL - timedelta(hours=49)) == []
    assert keys(ARRIVAL - timedelta(hours=48)) == ["before_arrival"]
    assert keys(ARRIVAL - timedelta(hours=1), owed=False) == []


def test_checkout_reminder_goes_the_configured_time_before_checkout_even_when_paid() -> None:
    assert keys(CHECKOUT - timedelta(hours=2, seconds=1), owed=False) == []
    assert keys(CHECKOUT - timedelta(hours=2), owed=False) == ["checkout"]
    assert keys(CHECKOUT, owed=False) == []


def test_after_departure_only_the_latest_step_and_escalation_from_the_second() -> None:
    left = CHECKOUT
    assert keys(left + timedelta(hours=23), departed=left) == []
    assert keys(left + timedelta(hours=24), departed=left) == ["after_departure:1"]
    assert keys(left + timedelta(hours=100), departed=left) == ["after_departure:2",
                                                                "escalation"]
    assert keys(left + timedelta(hours=100), departed=left, owed=False) == []


@given(st.integers(min_value=-500, max_value=500))
def test_nothing_is_ever_due_for_a_paid_guest_who_left(hours: int) -> None:
    now = CHECKOUT + timedelta(hours=hours)
    assert keys(now, owed=False, departed=CHECKOUT - timedelta(minutes=1)) == []
