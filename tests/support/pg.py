"""Fresh PostgreSQL databases for tests, on the session's scratch cluster (tests/support/scratch_pg.py)
or the server POSADA_TEST_PG_URL names; when neither can be had, tests fail, never skip."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from tests.support.scratch_pg import admin_url


def admin_dsn() -> str:
    """The admin connection string (a libpq URL), for psycopg."""
    return admin_url()


def database_url(name: str) -> str:
    """The SQLAlchemy URL of database ``name`` on the tests' server."""
    return f"{admin_url().rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(admin_dsn(), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise RuntimeError(f"PostgreSQL is required for this test and is not reachable: {exc}") from exc


@contextmanager
def fresh_database(prefix: str = "posada_t") -> Iterator[str]:
    """Create an empty database, yield its SQLAlchemy URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(name)
    finally:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
