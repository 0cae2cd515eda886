"""When guests are reminded, pure: before arrival, before checkout, after departure, escalation.

Each reminder has a stable key; the outbox's dedupe key makes "send each key once" hold even
when the job runs every minute or twice at once. After departure only the latest step that is
due is sent (a job that was down does not fire a backlog of reminders at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class ReminderPlan:
    before_arrival: timedelta = timedelta(hours=48)
    checkout_before: timedelta = timedelta(hours=2)
    after_departure: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=72))
    escalate_after: int = 2


@dataclass(frozen=True, slots=True)
class Due:
    key: str
    template: str
    audience: str  # "guest" or "front_desk"
    step: int = 0


def due_reminders(
    plan: ReminderPlan, *, now: datetime, owed: bool, arrival_at: datetime | None,
    checkout_at: datetime | None, departed_at: datetime | None,
) -> list[Due]:
    due: list[Due] = []
    staying = departed_at is None
    if checkout_at and staying and checkout_at - plan.checkout_before <= now < checkout_at:
        due.append(Due("checkout", "checkout_reminder", "guest"))
    if not owed:
        return due
    if arrival_at and staying and arrival_at - plan.before_arrival <= now < arrival_at:
        due.append(Due("before_arrival", "payment_reminder", "guest"))
    if departed_at is not None:
        steps = [i for i, delay in enumerate(plan.after_departure, 1) if now >= departed_at + delay]
        if steps:
            step = steps[-1]
            due.append(Due(f"after_departure:{step}", "payment_reminder", "guest", step))
            if step >= plan.escalate_after:
                due.append(Due("escalation", "payment_overdue", "front_desk", step))
    return due
