"""Migrated databases for tests: a SQLite file is a copy of one migrated once per test process."""

from __future__ import annotations

import atexit
import functools
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from cloud.board.models import EventRecord
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import upgrade
from cloud.guests.crypto import keys_from
from cloud.guests.sealed import attach
from cloud.guests.settings import GuestSettings
from cloud.guests.vault import Vault
from cloud.setup.demo import seed_demo


def migrated_engine(url: str, **engine_options: Any) -> Engine:
    """An engine on a database at the latest schema (``upgrade`` still runs: a no-op on a copy)."""
    path = Path(url.removeprefix("sqlite:///"))
    if url.startswith("sqlite:///") and not path.exists():
        shutil.copyfile(_template(), path)
    engine = make_engine(url, **engine_options)
    upgrade(engine)
    return engine


def sealed_engine(url: str, *, secret: str) -> Engine:
    """An engine that seals guests' personal data as a cloud started with ``secret`` does (its
    derived keys): what a test writes, that cloud can read."""
    engine = make_engine(url)
    cipher, index = keys_from(GuestSettings(secret_key=secret))
    attach(engine, Vault(cipher=cipher, index=index))
    return engine


def migrated_sqlite(path: Path) -> str:
    """The URL of a new SQLite file at ``path`` holding the latest schema (a copy of the template)."""
    shutil.copyfile(_template(), path)
    return f"sqlite:///{path}"


@functools.cache
def _template() -> Path:
    folder = tempfile.mkdtemp(prefix="posada-schema-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = Path(folder) / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def seed_demo_into(engine: Engine) -> None:
    """The demo property (``seed_demo``) in ``engine``'s database. On SQLite the database becomes a
    copy, by SQLite's backup, of one migrated and seeded once per test process (seeding took about
    0.3 s of CPU per test), unless a test already wrote to it: then it is seeded as elsewhere."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            assert isinstance(raw, sqlite3.Connection)
            if _filled_tables(raw) == _filled_tables_at_start():
                source = sqlite3.connect(_demo_template())
                try:
                    source.backup(raw)
                finally:
                    source.close()
                return
    with make_sessionmaker(engine).begin() as session:
        seed_demo(session)


def _filled_tables(connection: sqlite3.Connection) -> frozenset[str]:
    names = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return frozenset(name for name in names
                     if connection.execute(f'SELECT 1 FROM "{name}" LIMIT 1').fetchone() is not None)


@functools.cache
def _filled_tables_at_start() -> frozenset[str]:
    """The tables the migrations themselves fill (their version, reference rows)."""
    connection = sqlite3.connect(_template())
    try:
        return _filled_tables(connection)
    finally:
        connection.close()


@functools.cache
def _demo_template() -> Path:
    path = _template().with_name("demo.db")
    shutil.copyfile(_template(), path)
    engine = make_engine(f"sqlite:///{path}")
    with make_sessionmaker(engine).begin() as session:
        seed_demo(session)
    engine.dispose()
    return path


def stored_seqs(engine: Engine) -> list[int | None]:
    """The stored events' sequence numbers in order (a gateway's 1..N once each: none lost, none twice)."""
    with engine.connect() as conn:
        return list(conn.execute(select(EventRecord.seq).order_by(EventRecord.seq)).scalars())
