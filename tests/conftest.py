"""Shared fixtures: a real Mosquitto per session, fresh PostgreSQL databases, SQLite files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.broker import Mosquitto, make_broker
from tests.support.pg import fresh_database

# Property tests check behaviour, not speed: on two shared cores one example can take 100x
# another, so hypothesis's per-example deadline is off for the whole suite.
settings.register_profile("posada", deadline=None)
settings.load_profile("posada")


@pytest.fixture(scope="session")
def mosquitto() -> Iterator[Mosquitto]:
    """One broker shared by the session's tests (tests keep to their own sites/floors)."""
    broker = make_broker()
    yield broker
    broker.stop()


@pytest.fixture
def own_mosquitto() -> Iterator[Mosquitto]:
    """A broker this test may stop, kill and restart."""
    broker = make_broker()
    yield broker
    broker.stop()


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cloud.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cloud.db'}"
    else:
        with fresh_database() as url:
            yield url
