"""The cloud side of desk agents: stations check in, claim their jobs, and report results."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.roles import Principal
from cloud.cards import lifecycle
from cloud.cards.errors import UnknownJob
from cloud.cards.lifecycle import JobState, Outcome
from cloud.cards.models import DeskStation, EncodeJob
from cloud.cards.schemas import AgentJob, StationOut
from cloud.catalog.models import Room
from cloud.reservations.models import StayCredential

ONLINE = timedelta(seconds=90)  # a station that asked for work this recently is shown online
SEEN_EVERY = timedelta(seconds=10)


def seen(session: Session, *, site: str, station: str, user: Principal, now: datetime) -> None:
    row = session.get(DeskStation, (site, station))
    if row is None:
        session.add(DeskStation(site=site, name=station, last_seen_at=now, last_user=user.username[:64]))
    elif now - row.last_seen_at >= SEEN_EVERY or row.last_user != user.username[:64]:
        row.last_seen_at, row.last_user = now, user.username[:64]  # not on every poll: fewer writes


def stations(session: Session, *, site: str, now: datetime) -> list[StationOut]:
    rows = session.scalars(select(DeskStation).where(DeskStation.site == site).order_by(DeskStation.name))
    return [
        StationOut(name=r.name, last_seen_at=r.last_seen_at, online=now - r.last_seen_at < ONLINE)
        for r in rows
    ]


def claim_next(session: Session, *, site: str, station: str, now: datetime) -> AgentJob | None:
    """The oldest waiting job of this station, now claimed, with the card to write."""
    query = (
        select(EncodeJob)
        .where(EncodeJob.site == site, EncodeJob.station == station, EncodeJob.state == JobState.WAITING)
        .order_by(EncodeJob.created_at, EncodeJob.id)
        .with_for_update(skip_locked=True)
    )
    for job in session.scalars(query):
        if lifecycle.settle(job, now=now) is not JobState.WAITING:
            continue
        card = session.get(StayCredential, job.credential_id)
        if card is None or card.pending_card is None or card.revoked_at is not None:
            lifecycle.cancel(job, now=now)
            continue
        lifecycle.claim(job, now=now)
        room = session.get(Room, card.room_id)
        assert room is not None and job.result_by is not None
        return AgentJob(
            id=job.id,
            credential_id=card.id,
            card=card.pending_card,
            room=room.slug,
            guest=card.guest,
            result_by=job.result_by,
        )
    return None


def report(
    session: Session,
    *,
    site: str,
    station: str,
    job_id: str,
    outcome: Outcome,
    actor: Principal,
    now: datetime,
) -> EncodeJob:
    """Take a station's result for its own job; the card leaves the cloud once it is on a tag."""
    job = session.get(EncodeJob, job_id[:26], with_for_update=True)
    if job is None or job.site != site or job.station != station:
        raise UnknownJob(f"station {station!r} has no job {job_id[:26]!r}")
    if not lifecycle.finish(job, outcome, now=now):
        return job  # the same result again (a retried request): nothing changes
    card = session.get(StayCredential, job.credential_id)
    assert card is not None
    detail = {"reservation": job.reservation_id, "station": station, "job": job.id}
    if outcome.ok:
        card.encoded_uid, card.encoded_at, card.pending_card = outcome.uid, now, None
        audit(session, actor, "card.encoded", "card", card.id, {**detail, "uid": outcome.uid}, site=site)
    else:
        audit(
            session,
            actor,
            "card.encode_failed",
            "card",
            card.id,
            {**detail, "reason": outcome.reason},
            site=site,
        )
    return job
