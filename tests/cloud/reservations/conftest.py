"""Fixtures: a migrated database (SQLite and PostgreSQL), the demo hotel, a fixed clock, a card issuer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloud.cards.issuer import KeyringIssuer
from cloud.core.db import make_sessionmaker
from cloud.keys.keyring import Keyring
from cloud.keys.storage import KeyDirectory
from cloud.reservations.stays.credentials import KeyRequest
from tests.support.db import migrated_engine, seed_demo_into

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # 10:00 in Madrid, a Monday


class RecordingIssuer(KeyringIssuer):
    """The real keyring issuer, keeping the requests it signed so tests can read them back."""

    def __init__(self, keyring: Keyring) -> None:
        super().__init__(keyring)
        self.keyring = keyring
        self.requests: list[KeyRequest] = []

    def issue(self, request: KeyRequest) -> str:
        self.requests.append(request)
        return super().issue(request)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = migrated_engine(db_url, pool_size=5, max_overflow=10)  # the suite shares one server with others
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    maker: sessionmaker[Session] = make_sessionmaker(engine)
    seed_demo_into(engine)
    return maker


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as s:
        yield s
        s.rollback()


@pytest.fixture
def issuer(tmp_path: Path) -> RecordingIssuer:
    keys = KeyDirectory(tmp_path / "keys").load_or_create(now=NOW - timedelta(days=60))
    return RecordingIssuer(keys)


def rows(session: Session, sql: str, **params: Any) -> list[Any]:
    from sqlalchemy import text

    return list(session.execute(text(sql), params).all())


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSADA_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("POSADA_ARGON2_TIME_COST", "1")
