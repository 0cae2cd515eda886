"""REST API of keycards: a stay's cards, desk stations, and the desk agent's job queue."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import StringConstraints
from sqlalchemy.orm import Session

from cloud.auth.deps import require_role
from cloud.auth.roles import Principal, Role
from cloud.cards import desk, stay_cards
from cloud.cards.errors import AgentOnly
from cloud.cards.lifecycle import Outcome
from cloud.cards.schemas import STATION, AgentJob, CardIn, CardOut, EncodeIn, JobOut, ResultIn, StationOut
from cloud.catalog.models import Property
from cloud.core.deps import ClockDep, DbSession, IdempotencyKeyHeader, SessionsDep
from cloud.core.idempotency import idempotent, transact
from cloud.reservations.api import PROBLEMS
from cloud.reservations.web import IssuerDep, StaffDep, allow, own

router = APIRouter(prefix="/api/v1", tags=["keycards"])
POLL_S = 0.5
StationName = Annotated[str, StringConstraints(pattern=STATION)]


def _agent(
    principal: Annotated[Principal, require_role(Role.FRONT_DESK, Role.MANAGER)], db: DbSession
) -> Principal:
    """A desk agent: front desk (or manager) signed in with a bearer token, never a browser cookie."""
    db.commit()
    if principal.session_id is not None:
        raise AgentOnly("card bytes go to desk agents only; sign in with an API token")
    return principal


AgentDep = Annotated[Principal, Depends(_agent)]


@router.get("/reservations/{reservation_id}/cards", response_model=list[CardOut], responses=PROBLEMS)
def list_cards(reservation_id: str, user: StaffDep, sessions: SessionsDep, clock: ClockDep) -> list[CardOut]:
    """The stay's cards, newest job of each, with their status (not encoded, encoding, encoded, ...)."""
    with sessions() as session:
        res, now = own(session, user, reservation_id), clock()
        return [stay_cards.card_out(session, c, now=now) for c in stay_cards.cards_of(session, res)]


@router.post(
    "/reservations/{reservation_id}/cards", status_code=201, response_model=CardOut, responses=PROBLEMS
)
def issue_card(
    reservation_id: str,
    body: CardIn,
    user: StaffDep,
    sessions: SessionsDep,
    clock: ClockDep,
    issuer: IssuerDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Another card of the stay for guest ``guest`` (a companion, or a copy), sharing the room's
    sequence so the other cards keep opening; with ``station`` it is queued for that desk's encoder."""

    def work(session: Session) -> tuple[int, Any]:
        res, now = own(session, user, reservation_id, lock=True), clock()
        card = stay_cards.issue(session, issuer, res=res, guest=body.guest, actor=user, now=now)
        if body.station is not None:
            stay_cards.request_encode(
                session,
                res=res,
                card_id=card.id,
                site=_site(session, res.property_id),
                station=body.station,
                actor=user,
                now=now,
            )
        session.flush()
        return 201, stay_cards.card_out(session, card, now=now).model_dump(mode="json")

    status, payload = idempotent(
        sessions,
        scope=f"POST /reservations/{reservation_id}/cards",
        key=idempotency_key,
        payload=body.model_dump(mode="json"),
        work=work,
    )
    return JSONResponse(payload, status_code=status)


@router.post(
    "/reservations/{reservation_id}/cards/{card_id}/encode",
    status_code=201,
    response_model=JobOut,
    responses=PROBLEMS,
)
def encode_card(
    reservation_id: str,
    card_id: str,
    body: EncodeIn,
    user: StaffDep,
    sessions: SessionsDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Queue a card not yet on a tag for a desk station; it expires if no station picks it up."""

    def work(session: Session) -> tuple[int, Any]:
        res, now = own(session, user, reservation_id, lock=True), clock()
        job = stay_cards.request_encode(
            session,
            res=res,
            card_id=card_id,
            site=_site(session, res.property_id),
            station=body.station,
            actor=user,
            now=now,
        )
        session.flush()
        return 201, stay_cards.job_out(job, now=now).model_dump(mode="json")

    status, payload = idempotent(
        sessions,
        scope=f"POST /reservations/{reservation_id}/cards/{card_id}/encode",
        key=idempotency_key,
        payload=body.model_dump(mode="json"),
        work=work,
    )
    return JSONResponse(payload, status_code=status)


@router.post(
    "/reservations/{reservation_id}/cards/{card_id}/revoke", response_model=CardOut, responses=PROBLEMS
)
def revoke_card(
    reservation_id: str, card_id: str, user: StaffDep, sessions: SessionsDep, clock: ClockDep
) -> CardOut:
    """Cancel one card (lost or handed back): the gateway refuses it from now on; the stay's
    other cards keep opening. Revoking a revoked card changes nothing."""

    def work(session: Session) -> CardOut:
        res, now = own(session, user, reservation_id, lock=True), clock()
        card = stay_cards.revoke(session, res=res, card_id=card_id, actor=user, now=now)
        return stay_cards.card_out(session, card, now=now)

    return transact(sessions, work)


@router.get("/properties/{site}/desk-stations", response_model=list[StationOut], responses=PROBLEMS)
def list_stations(site: str, user: StaffDep, sessions: SessionsDep, clock: ClockDep) -> list[StationOut]:
    with sessions() as session:
        allow(session, user, site)
        return desk.stations(session, site=site, now=clock())


@router.get(
    "/desk/{site}/{station}/jobs/next",
    response_model=AgentJob,
    responses={204: {"description": "no job within the wait"}, **PROBLEMS},
)
async def next_job(
    request: Request,
    site: str,
    station: StationName,
    user: AgentDep,
    sessions: SessionsDep,
    clock: ClockDep,
    wait: Annotated[float, Query(ge=0, le=60)] = 25,
) -> Any:
    """Long poll: the station's next encode job (now claimed, with the card bytes), or 204 after
    ``wait``. A station that hung up is given nothing: a job claimed for a closed connection would
    sit claimed and unwritten until its deadline (and a server stopping would wait for the poll)."""
    deadline = time.monotonic() + wait

    def once(session: Session) -> AgentJob | None:
        allow(session, user, site)
        now = clock()
        desk.seen(session, site=site, station=station, user=user, now=now)
        return desk.claim_next(session, site=site, station=station, now=now)

    while True:
        if await request.is_disconnected():
            return Response(status_code=204)
        job = await run_in_threadpool(transact, sessions, once)
        if job is not None:
            return job
        if time.monotonic() >= deadline:
            return Response(status_code=204)
        await asyncio.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))


@router.post("/desk/{site}/{station}/jobs/{job_id}/result", response_model=JobOut, responses=PROBLEMS)
def job_result(
    site: str,
    station: StationName,
    job_id: str,
    body: ResultIn,
    user: AgentDep,
    sessions: SessionsDep,
    clock: ClockDep,
) -> JobOut:
    """The station's result for its job: the tag's uid, or why it failed. The same result sent
    again is answered as the first time; a different one is refused (409)."""
    outcome = Outcome(uid=body.uid, reason=body.reason, detail=body.detail)

    def work(session: Session) -> JobOut:
        allow(session, user, site)
        now = clock()
        job = desk.report(
            session, site=site, station=station, job_id=job_id, outcome=outcome, actor=user, now=now
        )
        return stay_cards.job_out(job, now=now)

    return transact(sessions, work)


def _site(session: Session, property_id: int) -> str:
    prop = session.get(Property, property_id)
    assert prop is not None
    return prop.slug
