"""Idempotency-Key handling for creating requests: the first answer is stored and replayed.

The key row is written in the same transaction as the work, so either both are committed or
neither. Two concurrent requests with one key: the second waits on the key's primary key
(PostgreSQL) or on the write lock (SQLite), then replays the first one's answer.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from cloud.billing.errors import IdempotencyKeyReused, InvalidAmount
from cloud.billing.models import IdempotentRequest

KEY = re.compile(r"[\x21-\x7e]{1,255}")


@dataclass(frozen=True, slots=True)
class Stored:
    status_code: int
    body: dict[str, Any]


def check_key(key: str | None) -> str:
    if key is None or not KEY.fullmatch(key):
        raise MissingIdempotencyKey(
            "send an Idempotency-Key header of 1-255 printable ASCII characters")
    return key


class MissingIdempotencyKey(InvalidAmount):
    status = 400
    type_ = "/problems/idempotency-key-required"
    title = "Idempotency key required"


def fingerprint(scope: str, body: Any) -> str:
    canonical = json.dumps([scope, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(session: Session, *, scope: str, key: str, print_: str) -> Stored | None:
    row = session.get(IdempotentRequest, (scope, key))
    if row is None:
        return None
    if row.fingerprint != print_:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different request")
    return Stored(row.status_code, row.body)


def remember(session: Session, *, scope: str, key: str, print_: str, stored: Stored,
             now: datetime) -> None:
    session.add(IdempotentRequest(scope=scope, key=key, fingerprint=print_,
                                  status_code=stored.status_code, body=stored.body,
                                  created_at=now))
    session.flush()


def purge(session: Session, *, older_than: datetime) -> int:
    """Forget stored answers past the window in which clients may retry."""
    result = session.execute(delete(IdempotentRequest).where(
        IdempotentRequest.created_at < older_than))
    return int(getattr(result, "rowcount", 0) or 0)
