"""Databases for billing and notify tests: a migrated SQLite file and a PostgreSQL database.

PostgreSQL tests fail (never skip) when the server (tests/support/pg.py) cannot be had. Each test
process migrates one PostgreSQL database and one SQLite template once; every test then gets
them empty (TRUNCATE) or copied, since migrating per test costs about a second.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

import cloud.models  # noqa: F401  (every table, so TRUNCATE empties them all)
from cloud.core.db import Base, make_engine
from cloud.core.migrate import upgrade
from tests.support.pg import admin_dsn, database_url


def pg_engine() -> tuple[Engine, str]:
    """A fresh, migrated PostgreSQL database; drop it with ``drop_pg``."""
    name = f"posada_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(database_url(name), pool_size=60, max_overflow=10)
    upgrade(engine)
    return engine, name


def drop_pg(engine: Engine, name: str) -> None:
    engine.dispose()
    with psycopg.connect(admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def billing_pg() -> Iterator[Engine]:
    engine, name = pg_engine()
    try:
        yield engine
    finally:
        drop_pg(engine, name)


@pytest.fixture(scope="session")
def billing_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("billing-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def sqlite_copy(template: Path, tmp: Path) -> Engine:
    shutil.copy(template, tmp / "billing.db")
    return make_engine(f"sqlite:///{tmp / 'billing.db'}")


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database, once per backend."""
    if request.param == "sqlite":
        eng = sqlite_copy(request.getfixturevalue("billing_sqlite_template"), tmp_path)
        yield eng
        eng.dispose()
        return
    eng = request.getfixturevalue("billing_pg")
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with eng.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield eng


@pytest.fixture
def sqlite_only(billing_sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    eng = sqlite_copy(billing_sqlite_template, tmp_path)
    yield eng
    eng.dispose()
