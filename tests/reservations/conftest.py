"""Fixtures: a migrated database (SQLite and PostgreSQL), the demo hotel, a fixed clock, a card issuer."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import upgrade
from cloud.reservations.credentials import KeyRequest
from cloud.reservations.seed import seed_demo

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # 10:00 in Madrid, a Monday


class RecordingIssuer:
    """Encodes the request it was given as the card, so tests can read back what was asked."""

    def __init__(self) -> None:
        self.requests: list[KeyRequest] = []

    def issue(self, request: KeyRequest) -> str:
        self.requests.append(request)
        body = json.dumps(
            {"id": request.credential_id, "room": request.room, "until": request.valid_until.isoformat()}
        ).encode()
        return base64.urlsafe_b64encode(body).decode().rstrip("=")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    maker: sessionmaker[Session] = make_sessionmaker(engine)
    with maker.begin() as session:
        seed_demo(session, year=2027)
    return maker


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as s:
        yield s
        s.rollback()


@pytest.fixture
def issuer() -> RecordingIssuer:
    return RecordingIssuer()


def rows(session: Session, sql: str, **params: Any) -> list[Any]:
    from sqlalchemy import text

    return list(session.execute(text(sql), params).all())
