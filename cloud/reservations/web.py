"""What the reservations routes need from the app: sessions, a clock, the card issuer, transactions.

The app sets ``app.state.sessionmaker`` (required), and optionally ``app.state.clock`` (a
callable returning an aware UTC datetime) and ``app.state.credential_issuer``.
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

from cloud.core.errors import DomainError
from cloud.reservations.credentials import CredentialIssuer
from cloud.reservations.errors import IdempotencyMismatch
from cloud.reservations.models_stays import IdempotencyKey
from mqtt.envelope import utcnow

T = TypeVar("T")
RETRYABLE = ("40P01", "40001")  # deadlock, serialization failure


class IssuerMissing(DomainError):
    status = 503
    type_ = "/problems/reservations/no-card-issuer"
    title = "Keycard issuer not configured"


def _sessions(request: Request) -> sessionmaker[Session]:
    maker: sessionmaker[Session] = request.app.state.sessionmaker
    return maker


def _clock(request: Request) -> Callable[[], datetime]:
    clock: Callable[[], datetime] = getattr(request.app.state, "clock", utcnow)
    return clock


def _issuer(request: Request) -> CredentialIssuer:
    issuer: CredentialIssuer | None = getattr(request.app.state, "credential_issuer", None)
    if issuer is None:
        raise IssuerMissing("no keycard issuer is configured, so no card can be made")
    return issuer


SessionsDep = Annotated[sessionmaker[Session], Depends(_sessions)]
ClockDep = Annotated[Callable[[], datetime], Depends(_clock)]
IssuerDep = Annotated[CredentialIssuer, Depends(_issuer)]
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
