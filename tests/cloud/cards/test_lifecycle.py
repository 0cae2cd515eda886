"""The encode job's life as plain rules: claim, result, expiry, cancellation, repeats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from cloud.cards import lifecycle
from cloud.cards.errors import JobGone, ResultConflict
from cloud.cards.lifecycle import PICKUP, RESULT, JobState, Outcome

T0 = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)


@dataclass
class Job:
    state: str = "waiting"
    pickup_by: datetime = T0 + PICKUP
    claimed_at: datetime | None = None
    result_by: datetime | None = None
    finished_at: datetime | None = None
    uid: str | None = None
    reason: str | None = None
    detail: str | None = None


def test_a_claimed_job_takes_one_success() -> None:
    job = Job()
    lifecycle.claim(job, now=T0 + timedelta(seconds=5))
    assert job.state == JobState.CLAIMED and job.result_by == T0 + timedelta(seconds=5) + RESULT
    assert lifecycle.finish(job, Outcome(uid="04a1b2c3d4e5f6"), now=T0 + timedelta(seconds=9))
    assert job.state == JobState.ENCODED and job.uid == "04a1b2c3d4e5f6"


def test_a_job_not_picked_up_in_time_expires_and_cannot_be_claimed() -> None:
    job = Job()
    assert lifecycle.current(job, now=T0 + PICKUP - timedelta(seconds=1)) is JobState.WAITING
    assert lifecycle.current(job, now=T0 + PICKUP) is JobState.EXPIRED
    with pytest.raises(JobGone):
        lifecycle.claim(job, now=T0 + PICKUP)
    assert job.state == JobState.EXPIRED and job.reason == "not_picked_up"


def test_a_result_after_the_deadline_is_refused() -> None:
    job = Job()
    lifecycle.claim(job, now=T0)
    with pytest.raises(JobGone):
        lifecycle.finish(job, Outcome(uid="04a1b2c3"), now=T0 + RESULT)
    assert job.state == JobState.EXPIRED and job.reason == "no_result" and job.uid is None


def test_the_same_result_twice_changes_nothing_and_a_different_one_is_a_conflict() -> None:
    job = Job()
    lifecycle.claim(job, now=T0)
    failure = Outcome(reason="no_tag", detail="no tag presented within 20 s")
    assert lifecycle.finish(job, failure, now=T0 + timedelta(seconds=21))
    assert not lifecycle.finish(job, failure, now=T0 + timedelta(seconds=22))
    with pytest.raises(ResultConflict):
        lifecycle.finish(job, Outcome(uid="04a1b2c3"), now=T0 + timedelta(seconds=23))
    assert job.state == JobState.FAILED and job.uid is None and job.reason == "no_tag"


def test_a_waiting_job_cannot_take_a_result_and_a_cancelled_one_nothing() -> None:
    job = Job()
    with pytest.raises(JobGone):
        lifecycle.finish(job, Outcome(uid="04a1b2c3"), now=T0)
    lifecycle.cancel(job, now=T0)
    assert job.state == JobState.CANCELLED
    with pytest.raises(JobGone):
        lifecycle.claim(job, now=T0)


def test_claiming_twice_is_refused() -> None:
    job = Job()
    lifecycle.claim(job, now=T0)
    with pytest.raises(JobGone):
        lifecycle.claim(job, now=T0 + timedelta(seconds=1))


def test_cancel_leaves_a_finished_job_alone() -> None:
    job = Job()
    lifecycle.claim(job, now=T0)
    lifecycle.finish(job, Outcome(uid="04a1b2c3"), now=T0)
    lifecycle.cancel(job, now=T0)
    assert job.state == JobState.ENCODED
