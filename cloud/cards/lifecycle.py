"""The life of an encode job, as plain rules on its fields (no I/O).

waiting --claim--> claimed --result ok--> encoded
   |                  |-----result failure--> failed
   |                  '-----no result by result_by--> expired
   '--not picked up by pickup_by--> expired;  waiting/claimed --card revoked--> cancelled
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from cloud.cards.errors import JobGone, ResultConflict

PICKUP = timedelta(seconds=120)  # a job no station asked for by then expires
RESULT = timedelta(seconds=90)  # a claimed job must be answered by then (tag wait + write + verify)


class JobState(StrEnum):
    WAITING = "waiting"
    CLAIMED = "claimed"
    ENCODED = "encoded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


OPEN = (JobState.WAITING, JobState.CLAIMED)


class JobRecord(Protocol):
    state: str
    pickup_by: datetime
    claimed_at: datetime | None
    result_by: datetime | None
    finished_at: datetime | None
    uid: str | None
    reason: str | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a desk agent reports: the tag's uid, or why nothing usable was written."""

    uid: str | None = None
    reason: str | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.uid is not None


def current(job: JobRecord, *, now: datetime) -> JobState:
    """The job's state at ``now``: an open job past its deadline has expired."""
    state = JobState(job.state)
    if state is JobState.WAITING and now >= job.pickup_by:
        return JobState.EXPIRED
    if state is JobState.CLAIMED and job.result_by is not None and now >= job.result_by:
        return JobState.EXPIRED
    return state


def settle(job: JobRecord, *, now: datetime) -> JobState:
    """Write an expiry that has happened into the record; returns the current state."""
    state = current(job, now=now)
    if state is JobState.EXPIRED and job.state != state:
        job.state, job.finished_at = state, now
        job.reason = "not_picked_up" if job.claimed_at is None else "no_result"
    return state


def claim(job: JobRecord, *, now: datetime) -> None:
    """A station takes the job; only a waiting job within its pickup time can be taken."""
    if settle(job, now=now) is not JobState.WAITING:
        raise JobGone(f"the job is {job.state}")
    job.state, job.claimed_at, job.result_by = JobState.CLAIMED, now, now + RESULT


def finish(job: JobRecord, outcome: Outcome, *, now: datetime) -> bool:
    """Record the agent's result; returns False for a repeat of the same result (nothing changes).

    A different second result, or one for a job that expired or was cancelled, is refused."""
    if job.state in (JobState.ENCODED, JobState.FAILED):
        if _same(job, outcome):
            return False
        raise ResultConflict(f"the job already ended as {job.state}")
    if settle(job, now=now) is not JobState.CLAIMED:
        raise JobGone(f"the job is {job.state}; no result is taken")
    job.finished_at = now
    if outcome.ok:
        job.state, job.uid = JobState.ENCODED, outcome.uid
    else:
        job.state, job.reason, job.detail = JobState.FAILED, outcome.reason, outcome.detail
    return True


def cancel(job: JobRecord, *, now: datetime) -> None:
    if settle(job, now=now) in OPEN:
        job.state, job.finished_at, job.reason = JobState.CANCELLED, now, "card_revoked"


def _same(job: JobRecord, outcome: Outcome) -> bool:
    if outcome.ok:
        return job.state == JobState.ENCODED and job.uid == outcome.uid
    return (
        job.state == JobState.FAILED and job.reason == outcome.reason and (job.detail or "") == outcome.detail
    )
