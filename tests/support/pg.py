"""Fresh PostgreSQL databases for tests, on the session's scratch cluster (tests/support/scratch_pg.py)
or the server POSADA_TEST_PG_URL names; when neither can be had, tests fail, never skip.

A fresh database is a copy of one migrated once per server and schema (``CREATE DATABASE ...
TEMPLATE``: about 0.1 s against a second of Alembic), unless a test asks for an empty one."""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from cloud.core.db import make_engine
from cloud.core.migrate import MIGRATIONS, upgrade
from tests.support.scratch_pg import admin_url

_TEMPLATE_LOCK = 0x706F7361  # the advisory lock the processes of a run take to build the template once


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
def fresh_database(prefix: str = "posada_t", *, migrated: bool = True) -> Iterator[str]:
    """Create a database at the latest schema (or an empty one), yield its SQLAlchemy URL, drop it
    afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    template = f' TEMPLATE "{_template()}"' if migrated else ""
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"{template}')
    try:
        yield database_url(name)
    finally:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@functools.cache
def _schema_tag() -> str:
    """A digest of the migration scripts: a template built from other scripts is never reused."""
    digest = hashlib.sha1()
    for path in sorted(MIGRATIONS.rglob("*.py")):
        digest.update(path.relative_to(MIGRATIONS).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@functools.cache
def _template() -> str:
    """The migrated database fresh ones are copied from, built by the first process that needs it."""
    name = f"posada_template_{_schema_tag()}"
    with _admin() as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_TEMPLATE_LOCK,))
        try:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                _build(conn, name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_TEMPLATE_LOCK,))
    return name


def _build(conn: psycopg.Connection[tuple[object, ...]], name: str) -> None:
    """Migrate a database under a working name and rename it: a half-built one is never copied."""
    building = f"{name}_building"
    conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
    conn.execute(f'CREATE DATABASE "{building}"')
    engine = make_engine(database_url(building))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
