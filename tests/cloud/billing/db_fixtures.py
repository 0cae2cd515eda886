"""Databases for billing and notify tests: a migrated SQLite file and a fresh PostgreSQL database.

PostgreSQL tests fail (never skip) when the server at 127.0.0.1:5432 is missing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import Engine

from cloud.core.db import make_engine
from cloud.core.migrate import upgrade

PG_ADMIN = os.environ.get("POSADA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def sqlite_engine(tmp: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp / 'billing.db'}")
    upgrade(engine)
    return engine


def pg_engine() -> tuple[Engine, str]:
    name = f"posada_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    engine = make_engine(f"{url}/{name}", pool_size=60, max_overflow=10)
    upgrade(engine)
    return engine, name


def drop_pg(engine: Engine, name: str) -> None:
    engine.dispose()
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database, once per backend."""
    if request.param == "sqlite":
        eng = sqlite_engine(tmp_path)
        yield eng
        eng.dispose()
        return
    eng, name = pg_engine()
    try:
        yield eng
    finally:
        drop_pg(eng, name)


@pytest.fixture
def sqlite_only(tmp_path: Path) -> Iterator[Engine]:
    eng = sqlite_engine(tmp_path)
    yield eng
    eng.dispose()
