"""Migrated databases for tests: a SQLite file is a copy of one migrated once per test process."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from cloud.core.db import make_engine
from cloud.core.migrate import upgrade
from cloud.guests.crypto import keys_from
from cloud.guests.sealed import attach
from cloud.guests.settings import GuestSettings
from cloud.guests.vault import Vault


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
