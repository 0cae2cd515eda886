"""Fixtures: the demo hotel on a migrated database with one OTA channel mapped, a fixed clock."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog import service as catalog
from cloud.channels import registry
from cloud.channels.models import Channel
from cloud.core.db import make_engine, make_sessionmaker
from tests.support.db import migrated_engine, seed_demo_into

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # 10:00 in Madrid, a Monday
HOTEL_CODE = "POSADA-1"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = migrated_engine(db_url, pool_size=5, max_overflow=10)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    eng = migrated_engine(sqlite_url)
    yield eng
    eng.dispose()


def seeded(engine: Engine) -> sessionmaker[Session]:
    maker: sessionmaker[Session] = make_sessionmaker(engine)
    seed_demo_into(engine)
    return maker


def add_ota(
    sessions: sessionmaker[Session],
    *,
    code: str = "booking",
    url: str | None = None,
    per_minute: int = 600,
    markup_bp: int = 0,
) -> tuple[int, str]:
    """An OTA channel with std/sup under flex mapped to STD/SUP and BAR; answers (id, secret)."""
    with sessions.begin() as session:
        prop = catalog.get_property(session, "hotel")
        channel, secret = registry.create(
            session,
            prop,
            registry.NewChannel(
                code=code,
                name=code.title(),
                kind="ota",
                hotel_code=HOTEL_CODE,
                endpoint_url=url,
                calls_per_minute=per_minute,
                markup_bp=markup_bp,
            ),
            now=NOW,
        )
        for type_code in ("std", "sup"):
            registry.set_mapping(
                session,
                channel,
                room_type=type_code,
                rate_plan="flex",
                room_code=type_code.upper(),
                rate_code="BAR",
            )
        return channel.id, secret


@functools.cache
def _template() -> tuple[Path, tuple[int, str]]:
    """The demo hotel with one OTA channel, seeded once per process (a copy per test)."""
    folder = Path(tempfile.mkdtemp(prefix="posada-channels-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    engine = migrated_engine(f"sqlite:///{folder / 'template.db'}")
    found = add_ota(seeded(engine))
    engine.dispose()
    return folder / "template.db", found


@pytest.fixture
def seeded_url(tmp_path: Path) -> str:
    path = tmp_path / "cloud.db"
    shutil.copyfile(_template()[0], path)
    return f"sqlite:///{path}"


@pytest.fixture
def sessions(seeded_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(seeded_url)  # a copy of the migrated template: no migration to run
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def channel(sessions: sessionmaker[Session]) -> tuple[int, str]:
    return _template()[1]


def get_channel(sessions: sessionmaker[Session], channel_id: int) -> Channel:
    with sessions() as session:
        found = session.get(Channel, channel_id)
        assert found is not None
        session.expunge(found)
        return found
