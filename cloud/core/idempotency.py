"""Idempotency-Key handling for creating requests: the first answer is stored and replayed.

One table for every area. The key row is written in the same transaction as the work, so
either both are committed or neither. Two concurrent requests with one key: the second waits
on the key's primary key (PostgreSQL) or on the write lock (SQLite), then replays the first
one's answer.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Index, Integer, String, delete
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from cloud.core import plain_inserts
from cloud.core.clock import Clock, utcnow
from cloud.core.db import Base, JsonType, UtcDateTime
from cloud.core.errors import DomainError

T = TypeVar("T")
KEY = re.compile(r"[\x21-\x7e]{1,255}")
RETRYABLE = ("40P01", "40001")  # deadlock, serialization failure


class IdempotentRequest(Base):
    """The first answer to a creating request, returned again when the client retries."""

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(128), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[Any] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_idempotency_keys_created_at", "created_at"),)


class IdempotencyKeyReused(DomainError):
    status = 422
    type_ = "/problems/idempotency-key-reused"
    title = "Idempotency key reused with a different request"


class MissingIdempotencyKey(DomainError):
    status = 400
    type_ = "/problems/idempotency-key-required"
    title = "Idempotency key required"


@dataclass(frozen=True, slots=True)
class Stored:
    status_code: int
    body: Any


def check_key(key: str | None) -> str:
    """The key, required: 1-255 printable ASCII characters."""
    if key is None or not KEY.fullmatch(key):
        raise MissingIdempotencyKey("send an Idempotency-Key header of 1-255 printable ASCII characters")
    return key


def fingerprint(scope: str, body: Any) -> str:
    canonical = json.dumps([scope, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(session: Session, *, scope: str, key: str, print_: str) -> Stored | None:
    """The stored answer for this key, or None; a key reused for another request is refused."""
    row = session.get(IdempotentRequest, (scope, key))
    if row is None:
        return None
    if row.fingerprint != print_:
        raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
    return Stored(row.status_code, row.body)


def remember(session: Session, *, scope: str, key: str, print_: str, stored: Stored,
             now: datetime) -> None:
    values = {"scope": scope, "key": key, "fingerprint": print_, "status_code": stored.status_code,
              "body": stored.body, "created_at": now}
    if not plain_inserts.add_values(session, IdempotentRequest, values):  # queued: written before the commit
        session.add(IdempotentRequest(**values))
        session.flush()


def replay_or_run(session: Session, *, scope: str, key: str, print_: str,
                  work: Callable[[Session], tuple[int, Any]], now: Clock) -> tuple[Stored, bool]:
    """In the caller's transaction: the stored answer (True: replayed), or the work's, remembered."""
    stored = replay(session, scope=scope, key=key, print_=print_)
    if stored is not None:
        return stored, True
    stored = Stored(*work(session))
    remember(session, scope=scope, key=key, print_=print_, stored=stored, now=now())
    return stored, False


def purge(session: Session, *, older_than: datetime) -> int:
    """Forget stored answers past the window in which clients may retry."""
    result = session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < older_than))
    return int(getattr(result, "rowcount", 0) or 0)


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


def idempotent(
    sessions: sessionmaker[Session],
    *,
    scope: str,
    key: str | None,
    payload: Any,
    work: Callable[[Session], tuple[int, Any]],
    clock: Clock = utcnow,
    look_first: bool = True,
) -> tuple[int, Any]:
    """Do a creating request once per key (optional here): a retry gets the stored first answer.

    ``look_first=False`` (work that only writes to the database, in this transaction): the key is
    not looked up before the work. Its row is written with the work's, and a key already taken
    makes that write fail, which rolls the work back and answers with the stored answer; so does
    a refusal of the work (a retry after the first booking took the last room). One round trip
    less for every first request."""
    if key is None:
        return transact(sessions, work)
    print_ = fingerprint(scope, payload)

    def once(session: Session) -> tuple[int, Any]:
        stored, _replayed = replay_or_run(session, scope=scope, key=key, print_=print_, work=work, now=clock)
        return stored.status_code, stored.body

    def run_and_remember(session: Session) -> tuple[int, Any]:
        stored = Stored(*work(session))
        remember(session, scope=scope, key=key, print_=print_, stored=stored, now=clock())
        return stored.status_code, stored.body

    try:
        return transact(sessions, once if look_first else run_and_remember)
    except IntegrityError:  # the same key committed concurrently (or before): answer as it did
        found = _stored(sessions, scope=scope, key=key, print_=print_)
        if found is None:
            raise
        return found.status_code, found.body
    except DomainError:
        found = None if look_first else _stored(sessions, scope=scope, key=key, print_=print_)
        if found is None:
            raise
        return found.status_code, found.body


def _stored(sessions: sessionmaker[Session], *, scope: str, key: str, print_: str) -> Stored | None:
    with sessions() as session:
        return replay(session, scope=scope, key=key, print_=print_)
