"""What the reservations routes need from the app: sessions, a clock, the card issuer, transactions.

The app sets ``app.state.sessionmaker`` (required), and optionally ``app.state.clock`` (a
callable returning an aware UTC datetime) and ``app.state.credential_issuer``. Dependencies
that only read ``app.state`` are ``async``: FastAPI runs a plain ``def`` dependency on the thread
pool, a hop that costs more than what it reads.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.deps import DbSession, GuestDataUser, check_property
from cloud.auth.roles import Principal
from cloud.core.errors import DomainError
from cloud.reservations import booking, catalog, groups
from cloud.reservations.credentials import CredentialIssuer
from cloud.reservations.errors import IdempotencyMismatch
from cloud.reservations.guest_history import GuestHistory, StayHistory
from cloud.reservations.models import Property
from cloud.reservations.models_groups import GroupBlock
from cloud.reservations.models_stays import IdempotencyKey, Reservation
from mqtt.envelope import utcnow

T = TypeVar("T")
RETRYABLE = ("40P01", "40001")  # deadlock, serialization failure


class IssuerMissing(DomainError):
    status = 503
    type_ = "/problems/reservations/no-card-issuer"
    title = "Keycard issuer not configured"


async def _sessions(request: Request) -> sessionmaker[Session]:
    runtime = getattr(request.app.state, "runtime", None)
    maker: sessionmaker[Session] = runtime.sessions if runtime is not None else request.app.state.sessionmaker
    return maker


def _front_desk(principal: GuestDataUser, db: DbSession) -> Principal:
    """Front desk, managers and chain admins; the request's own session is released at once, since
    these routes run their own transactions (SQLite has a single writer)."""
    db.commit()
    return principal


def allow(session: Session, user: Principal, site: str) -> None:
    """Refuse staff of other properties."""
    check_property(session, user, site)


def property_for(session: Session, user: Principal, site: str) -> Property:
    allow(session, user, site)
    return catalog.get_property(session, site)


def own_block(session: Session, user: Principal, block_id: str) -> GroupBlock:
    block = groups.get_block(session, block_id)
    prop = session.get(Property, block.property_id)
    assert prop is not None
    allow(session, user, prop.slug)
    return block


def own(session: Session, user: Principal, reservation_id: str, *, lock: bool = False) -> Reservation:
    """The reservation, if the user works at its property."""
    return own_stay(session, user, reservation_id, lock=lock)[0]


def own_stay(
    session: Session, user: Principal, reservation_id: str, *, lock: bool = False
) -> tuple[Reservation, Property]:
    """The reservation and its property, if the user works there (the pages' lookup too)."""
    res = booking.load(session, reservation_id, lock=lock)
    prop = session.get(Property, res.property_id)
    assert prop is not None
    allow(session, user, prop.slug)
    return res, prop


async def _clock(request: Request) -> Callable[[], datetime]:
    clock: Callable[[], datetime] = getattr(request.app.state, "clock", utcnow)
    return clock


async def _issuer(request: Request) -> CredentialIssuer:
    issuer: CredentialIssuer | None = getattr(request.app.state, "credential_issuer", None)
    if issuer is None:
        raise IssuerMissing("no keycard issuer is configured, so no card can be made")
    return issuer


async def _history(request: Request) -> StayHistory | None:
    guests = getattr(request.app.state, "guests", None)
    settings = getattr(guests, "settings", None)
    return GuestHistory(settings) if settings is not None else None


StaffDep = Annotated[Principal, Depends(_front_desk)]
SessionsDep = Annotated[sessionmaker[Session], Depends(_sessions)]
ClockDep = Annotated[Callable[[], datetime], Depends(_clock)]
IssuerDep = Annotated[CredentialIssuer, Depends(_issuer)]
HistoryDep = Annotated[StayHistory | None, Depends(_history)]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="retrying with the same key returns the first answer",
    ),
]


def transact(sessions: sessionmaker[Session], work: Callable[[Session], T], *, attempts: int = 3) -> T:
    """Run work in one transaction; a deadlock or serialization failure runs it again."""
    for attempt in range(attempts):
        try:
            with sessions.begin() as session:
                return work(session)
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) not in RETRYABLE or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def idempotent(
    sessions: sessionmaker[Session],
    *,
    scope: str,
    key: str | None,
    payload: Any,
    work: Callable[[Session], tuple[int, Any]],
) -> tuple[int, Any]:
    """Do a creating request once per key: the stored first answer is returned to a retry."""
    if key is None:
        return transact(sessions, work)
    digest = fingerprint(payload)

    def once(session: Session) -> tuple[int, Any]:
        stored = session.get(IdempotencyKey, (scope, key))
        if stored is not None:
            return _replay(stored, digest)
        status, body = work(session)
        session.add(
            IdempotencyKey(
                scope=scope, key=key, fingerprint=digest, status_code=status, body=body, created_at=utcnow()
            )
        )
        session.flush()
        return status, body

    try:
        return transact(sessions, once)
    except IntegrityError:  # the same key committed concurrently: answer as it did
        with sessions() as session:
            stored = session.get(IdempotencyKey, (scope, key))
            if stored is None:
                raise
            return _replay(stored, digest)


def _replay(stored: IdempotencyKey, digest: str) -> tuple[int, Any]:
    if stored.fingerprint != digest:
        raise IdempotencyMismatch("this Idempotency-Key was used for a different request")
    return stored.status_code, stored.body
