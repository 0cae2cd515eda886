"""A stay's cards: list them, issue another (companion, copy, replacement), revoke one, encode one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.cards import lifecycle
from cloud.cards.errors import CardNotEncodable, UnknownCard
from cloud.cards.lifecycle import JobState
from cloud.cards.models import EncodeJob
from cloud.cards.schemas import CardOut, CardStatus, JobOut
from cloud.catalog.models import Property, Room
from cloud.core.nights import local_today
from cloud.reservations.errors import WrongState
from cloud.reservations.models import Reservation, StayCredential
from cloud.reservations.sales import allocation
from cloud.reservations.stays import credentials
from cloud.reservations.stays.credentials import Actor, CredentialIssuer
from mqtt.envelope import new_id


def cards_of(session: Session, res: Reservation) -> list[StayCredential]:
    query = select(StayCredential).where(StayCredential.reservation_id == res.id)
    return list(session.scalars(query.order_by(StayCredential.issued_at, StayCredential.guest)))


def card_of(session: Session, res: Reservation, card_id: str) -> StayCredential:
    card = session.get(StayCredential, card_id[:64])
    if card is None or card.reservation_id != res.id:
        raise UnknownCard(f"the stay has no card {card_id[:64]!r}")
    return card


def latest_job(session: Session, card_id: str) -> EncodeJob | None:
    query = select(EncodeJob).where(EncodeJob.credential_id == card_id)
    return session.scalars(query.order_by(EncodeJob.created_at.desc(), EncodeJob.id.desc()).limit(1)).first()


def card_out(session: Session, card: StayCredential, *, now: datetime) -> CardOut:
    room = session.get(Room, card.room_id)
    assert room is not None
    job = latest_job(session, card.id)
    last = job_out(job, now=now) if job is not None else None
    return CardOut(
        id=card.id,
        guest=card.guest,
        room=room.slug,
        sequence=card.sequence,
        issued_at=card.issued_at,
        valid_until=card.valid_until,
        status=status_of(card, last, now=now),
        encoded_uid=card.encoded_uid,
        encoded_at=card.encoded_at,
        revoked_at=card.revoked_at,
        job=last,
    )


def job_out(job: EncodeJob, *, now: datetime) -> JobOut:
    state = lifecycle.current(job, now=now)
    reason = job.reason
    if state is JobState.EXPIRED and reason is None:
        reason = "not_picked_up" if job.claimed_at is None else "no_result"
    return JobOut(
        id=job.id,
        station=job.station,
        state=state,
        created_at=job.created_at,
        pickup_by=job.pickup_by,
        result_by=job.result_by,
        uid=job.uid,
        reason=reason,
        detail=job.detail,
    )


def status_of(card: StayCredential, job: JobOut | None, *, now: datetime) -> CardStatus:
    if card.revoked_at is not None:
        return "revoked"
    if card.valid_until <= now:
        return "expired"
    if card.encoded_uid is not None:
        return "encoded"
    if job is not None and job.state in lifecycle.OPEN:
        return "encoding"
    if job is not None and job.state in (JobState.FAILED, JobState.EXPIRED):
        return "failed"
    return "not_encoded"


def current_room(session: Session, res: Reservation, *, now: datetime) -> int:
    """The room the guest sleeps in tonight (or the next one of the stay)."""
    prop = session.get(Property, res.property_id)
    assert prop is not None
    today = local_today(now, prop.timezone)
    segments = [s for s in allocation.stay_allocations(session, res.id) if s.end_night > today]
    if not segments:
        raise WrongState("the stay has no room left to open")
    return segments[0].room_id


def issue(
    session: Session, issuer: CredentialIssuer, *, res: Reservation, guest: int, actor: Actor, now: datetime
) -> StayCredential:
    """Another card for an in-house stay, sharing its current sequence (see docs/card-format.md)."""
    if res.status != "checked_in":
        raise WrongState(f"cards are issued to checked-in stays, this one is {res.status}")
    room_id = current_room(session, res, now=now)
    return credentials.add_card(session, issuer, res=res, room_id=room_id, guest=guest, now=now, actor=actor)


def revoke(
    session: Session, *, res: Reservation, card_id: str, actor: Actor, now: datetime
) -> StayCredential:
    """Cancel one card at the gateway (a lost card); an open encode job of it is cancelled."""
    card = card_of(session, res, card_id)
    if card.revoked_at is None:
        credentials.revoke_one(session, card, now=now, actor=actor)
        for job in session.scalars(
            select(EncodeJob).where(EncodeJob.credential_id == card.id, EncodeJob.state.in_(lifecycle.OPEN))
        ):
            lifecycle.cancel(job, now=now)
    return card


def request_encode(
    session: Session, *, res: Reservation, card_id: str, site: str, station: str, actor: Actor, now: datetime
) -> EncodeJob:
    """Queue the card for a desk station; only a live card not yet on a tag can be encoded."""
    card = card_of(session, res, card_id)
    if card.revoked_at is not None or card.valid_until <= now:
        raise CardNotEncodable("the card is revoked or expired; issue a new one")
    if card.pending_card is None:
        raise CardNotEncodable("the card is already on a tag; issue a copy instead")
    for open_job in session.scalars(
        select(EncodeJob).where(EncodeJob.credential_id == card.id, EncodeJob.state.in_(lifecycle.OPEN))
    ):
        lifecycle.cancel(open_job, now=now)  # the newest request wins
    job = EncodeJob(
        id=new_id(),
        site=site,
        station=station,
        credential_id=card.id,
        reservation_id=res.id,
        state=JobState.WAITING,
        created_at=now,
        created_by=_name(actor),
        pickup_by=now + lifecycle.PICKUP,
    )
    session.add(job)
    audit(
        session,
        actor,
        "card.encode_request",
        "card",
        card.id,
        {"reservation": res.id, "station": station, "job": job.id},
        site=site,
    )
    return job


def encode_for_guest(
    session: Session,
    issuer: CredentialIssuer,
    *,
    res: Reservation,
    guest: int,
    site: str,
    station: str,
    actor: Actor,
    now: datetime,
) -> EncodeJob:
    """The desk's one button: the guest's card not yet on a tag, or else a new card for them."""
    waiting = [
        c
        for c in cards_of(session, res)
        if c.guest == guest and c.revoked_at is None and c.pending_card is not None and c.valid_until > now
    ]
    card = waiting[-1] if waiting else issue(session, issuer, res=res, guest=guest, actor=actor, now=now)
    return request_encode(session, res=res, card_id=card.id, site=site, station=station, actor=actor, now=now)


def _name(actor: Actor) -> str:
    return actor if isinstance(actor, str) else actor.username
