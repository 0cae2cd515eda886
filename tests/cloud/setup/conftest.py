"""Fixtures: a migrated database (SQLite and PostgreSQL) and the 60-room hotel set up from its file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.db import make_sessionmaker
from cloud.setup import service
from cloud.setup.parsing import from_data, parse
from tests.support.db import migrated_engine

HOTEL_FILE = Path(__file__).parent / "files" / "casa-azul.yaml"
SITE = "casa-azul"
NOW = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)  # 09:00 in Mexico City


def hotel_data() -> dict[str, Any]:
    """The hotel's document as plain data, for a test to change."""
    data = yaml.safe_load(HOTEL_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def apply_data(session: Session, data: dict[str, Any], *, now: datetime = NOW) -> service.Diff:
    return service.apply(session, from_data(data), "test", now=now)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = migrated_engine(db_url, pool_size=5, max_overflow=10)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def hotel(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The database with the hotel imported from its file."""
    with sessions.begin() as session:
        service.apply(session, parse(HOTEL_FILE.read_bytes()), "test", now=NOW)
    return sessions


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSADA_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("POSADA_ARGON2_TIME_COST", "1")
