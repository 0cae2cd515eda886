"""REST API of reservations: availability, booking, changes, cancellation, rooms, front-desk lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from cloud.auth.deps import (
    ACCESS_STAMP,
    StaffRefused,
    check_role,
    current_principal,
    known_credential,
    principal_at,
    stamp_read_with,
)
from cloud.auth.errors import Forbidden
from cloud.auth.roles import GUEST_DATA_ROLES, Principal, Role
from cloud.catalog import service as catalog
from cloud.catalog.models import Property
from cloud.core import plain_inserts
from cloud.core.deps import ClockDep, IdempotencyKeyHeader, SessionsDep, services
from cloud.core.errors import DomainError
from cloud.core.idempotency import idempotent, transact
from cloud.core.responses import FastJSONResponse
from cloud.reservations.errors import RoomUnavailable
from cloud.reservations.present import reservation_json, reservation_out
from cloud.reservations.sales import booking, cancellation, queries, quick_availability
from cloud.reservations.sales.booking import Booking
from cloud.reservations.sales.sellable import cache_of
from cloud.reservations.schemas import MoveIn, QuoteOut, ReservationIn, ReservationOut, ReservationPatch
from cloud.reservations.stays import rooms
from cloud.reservations.stays.ledger import LedgerDep
from cloud.reservations.web import StaffDep, allow, own, property_for

router = APIRouter(prefix="/api/v1", tags=["reservations"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "unknown property, type, plan or reservation (problem details)"},
    409: {"description": "sold out, room taken, or wrong state (problem details)"},
    422: {"description": "invalid request (problem details)"},
}


@dataclass(frozen=True, slots=True)
class Reader:
    user: Principal
    read: quick_availability.Read | None


async def reader_of(request: Request) -> Reader:
    """The staff member (front desk, manager or chain admin) and, for a credential this process
    has seen, the stay's inventory read with the access stamp in one statement, ahead of the
    principal: nothing of it is answered unless the principal then checks out against that
    stamp. One dependency instead of a chain of four (each costs FastAPI a solve per request)."""
    read = await _read_first(request)
    return Reader(check_role(await current_principal(request), GUEST_DATA_ROLES), read)


reader_of.roles = GUEST_DATA_ROLES  # type: ignore[attr-defined]  # read by the route-wide security test


async def _read_first(request: Request) -> quick_availability.Read | None:
    if not known_credential(request):
        return None  # a credential never seen costs no query before it is checked
    try:
        stay = booking.make_stay(date.fromisoformat(request.query_params["arrival"]),
                                 date.fromisoformat(request.query_params["departure"]))
    except (KeyError, ValueError, DomainError):
        return None  # the route's own parameters answer for it
    found = services(request)
    got = await quick_availability.read_with_access_stamp(
        found.auth.reads, cache_of(found.engine), request.path_params["site"], stay=stay)
    if got is None:
        return None
    stamp, read = got
    stamp_read_with(request, stamp)
    return read


@router.get("/properties/{site}/availability", response_model=list[QuoteOut], responses=PROBLEMS)
async def availability(
    request: Request,
    site: str,
    arrival: date,
    departure: date,
    reader: Annotated[Reader, Depends(reader_of)],
    adults: Annotated[int, Query(ge=1, le=20)] = 1,
    children: Annotated[int, Query(ge=0, le=20)] = 0,
    room_type: Annotated[str | None, Query(max_length=32)] = None,
) -> FastJSONResponse:
    """Types with a room left on every night, each with its rate plans priced night by night.

    Most requests are answered by ``availability_lane`` (the same steps, without FastAPI's
    parameter solving); the rest come here."""
    return FastJSONResponse(await answer(request, site, reader, arrival=arrival, departure=departure,
                                         adults=adults, children=children, room_type=room_type))


async def answer(request: Request, site: str, reader: Reader, *, arrival: date, departure: date, adults: int,
                 children: int, room_type: str | None) -> list[dict[str, Any]]:
    """The availability route's answer for its validated parameters."""
    stay = booking.make_stay(arrival, departure)
    found = services(request)
    user = reader.user
    if user.role is Role.CHAIN_ADMIN:  # their chain's properties are read from the database
        await run_in_threadpool(_allow, found.sessions, user, site)
    elif not user.sees_site(site, chain_of_site=None):
        raise Forbidden(f"you have no access to property {site!r}")
    return await quick_availability.search(
        found.auth.reads, cache_of(found.engine), found.sessions, site,
        stay=stay, guests=adults + children, room_type=room_type, read=reader.read,
    )


def _allow(sessions: sessionmaker[Session], user: Principal, site: str) -> None:
    with sessions() as session:
        allow(session, user, site)


@router.post(
    "/properties/{site}/reservations", status_code=201, response_model=ReservationOut, responses=PROBLEMS
)
async def create(
    http: Request,
    site: str,
    body: ReservationIn,
    user: StaffDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> FastJSONResponse:
    """Book a room of a type (its folio opens, the confirmation is queued); with an
    Idempotency-Key a retry returns the first answer.

    Most requests are answered by ``booking_lane`` (the same steps, without FastAPI's routing
    and parameter solving); the rest come here."""
    return await book_answer(http, site, body, user, idempotency_key)


async def book_answer(http: Request, site: str, body: ReservationIn, user: Principal | None,
                      idempotency_key: str | None) -> FastJSONResponse:
    """The booking route's answer for its validated body, staff member and key.

    ``user`` None: the request's credential is one this process has resolved, and its principal
    and role are checked inside the booking's transaction, against the access stamp read as its
    first statement (no read of its own on the event loop); ``Unresolved`` when the principal is
    not in memory then (nothing was written: resolve it and ask again), and a refusal of it is
    raised as ``current_principal`` raises it."""
    found = services(http)  # read here, not as four dependencies: FastAPI solves each per request
    sessions, clock, ledger, matcher = found.sessions, found.clock, found.ledger, found.matcher
    request = Booking(
        property=site,
        **body.model_dump(exclude={"preferences"}),
        preferences=body.preferences.model_dump(exclude_defaults=True),
    )

    def work(session: Session) -> tuple[int, Any]:
        staff = user if user is not None else principal_at(http, _access_stamp(session), GUEST_DATA_ROLES)
        allow(session, staff, site)
        plain_inserts.open_queue(session)  # PostgreSQL: the new rows in few round trips, no unit of work
        now = clock()
        res = booking.book(session, request, now=now, matcher=matcher)
        if ledger is not None:
            ledger.booked(session, res, now=now)
        return 201, reservation_json(session, res)

    try:
        status, payload = await run_in_threadpool(  # one hop to a worker thread for the whole request
            partial(
                idempotent,
                sessions,
                scope=f"POST /properties/{site}/reservations",
                key=idempotency_key,
                payload=body.model_dump(mode="json"),
                work=work,
                look_first=False,  # the booking and its folio only write to the database
            )
        )
    except StaffRefused as exc:
        raise exc.refusal from None
    return FastJSONResponse(payload, status_code=status)


def _access_stamp(session: Session) -> int:
    conn = session.connection()
    if conn.dialect.name == "postgresql":  # psycopg's own connection, in the session's transaction
        raw: Any = conn.connection.driver_connection
        row = raw.execute(ACCESS_STAMP).fetchone()
    else:
        row = conn.exec_driver_sql(ACCESS_STAMP).fetchone()
    if row is None:
        raise RuntimeError("the access_stamp row is missing: run the migrations")
    return int(row[0])


@router.get("/reservations/{reservation_id}", response_model=ReservationOut, responses=PROBLEMS)
def read(reservation_id: str, user: StaffDep, sessions: SessionsDep) -> ReservationOut:
    with sessions() as session:
        return reservation_out(session, own(session, user, reservation_id))


@router.patch("/reservations/{reservation_id}", response_model=ReservationOut, responses=PROBLEMS)
def modify(
    reservation_id: str,
    body: ReservationPatch,
    user: StaffDep,
    sessions: SessionsDep,
    clock: ClockDep,
    ledger: LedgerDep,
) -> ReservationOut:
    """Change dates, room type or guests (refused whole when the new stay cannot be sold), or the
    guest's name, contact and language (also while in house)."""

    def work(session: Session) -> ReservationOut:
        res = own(session, user, reservation_id, lock=True)
        changes = body.model_dump(exclude_none=True)
        guest = {name: changes.pop(name) for name in booking.GUEST_DETAILS if name in changes}
        if changes or not guest:
            booking.modify(session, res, now=clock(), **changes)
        booking.update_guest(session, res, **guest)
        if ledger is not None:
            ledger.modified(session, res, now=clock())
        return reservation_out(session, res)

    return transact(sessions, work)


@router.post("/reservations/{reservation_id}/cancel", response_model=ReservationOut, responses=PROBLEMS)
def cancel(
    reservation_id: str, user: StaffDep, sessions: SessionsDep, clock: ClockDep, ledger: LedgerDep
) -> ReservationOut:
    """Cancel under the rate plan's policy; the fee is posted to the folio."""

    def work(session: Session) -> ReservationOut:
        res = own(session, user, reservation_id, lock=True)
        now = clock()
        cancellation.cancel(session, res, now=now)
        if ledger is not None:
            ledger.cancelled(session, res, now=now)
        return reservation_out(session, res)

    return transact(sessions, work)


@router.post("/reservations/{reservation_id}/no-show", response_model=ReservationOut, responses=PROBLEMS)
def no_show(
    reservation_id: str, user: StaffDep, sessions: SessionsDep, clock: ClockDep, ledger: LedgerDep
) -> ReservationOut:
    """Record a guest who never came; the rate plan's no-show fee is posted to the folio."""

    def work(session: Session) -> ReservationOut:
        res = own(session, user, reservation_id, lock=True)
        now = clock()
        cancellation.no_show(session, res, now=now)
        if ledger is not None:
            ledger.cancelled(session, res, now=now)
        return reservation_out(session, res)

    return transact(sessions, work)


@router.post("/reservations/{reservation_id}/assign", response_model=ReservationOut, responses=PROBLEMS)
def assign(reservation_id: str, user: StaffDep, sessions: SessionsDep) -> ReservationOut:
    """Give an unassigned reservation its room now (automatic choice)."""

    def work(session: Session) -> ReservationOut:
        res = own(session, user, reservation_id, lock=True)
        if not rooms.assign(session, res):
            raise RoomUnavailable("no room can hold this stay; move another stay first")
        return reservation_out(session, res)

    return transact(sessions, work)


@router.post("/reservations/{reservation_id}/move", response_model=ReservationOut, responses=PROBLEMS)
def move(
    request: Request, reservation_id: str, body: MoveIn, user: StaffDep, sessions: SessionsDep
) -> ReservationOut:
    """Front-desk override: put the stay (or its rest from a night on) in this room."""
    hooks = services(request).move_hooks  # what follows the stay (its facility slots' access)

    def work(session: Session) -> ReservationOut:
        res = own(session, user, reservation_id, lock=True)
        prop = session.get(Property, res.property_id)
        assert prop is not None
        rooms.move(
            session,
            res,
            room=catalog.room_by_slug(session, prop, body.room),
            from_night=body.from_night,
            hooks=hooks,
        )
        return reservation_out(session, res)

    return transact(sessions, work)


@router.get("/properties/{site}/arrivals", response_model=list[ReservationOut], responses=PROBLEMS)
def arrivals(site: str, day: date, user: StaffDep, sessions: SessionsDep) -> list[ReservationOut]:
    with sessions() as session:
        prop = property_for(session, user, site)
        return [reservation_out(session, r) for r in queries.arrivals(session, prop, day)]


@router.get("/properties/{site}/departures", response_model=list[ReservationOut], responses=PROBLEMS)
def departures(site: str, day: date, user: StaffDep, sessions: SessionsDep) -> list[ReservationOut]:
    with sessions() as session:
        prop = property_for(session, user, site)
        return [reservation_out(session, r) for r in queries.departures(session, prop, day)]
