"""Shared fixtures: a real Mosquitto per session, fresh PostgreSQL databases on the session's own
scratch cluster, SQLite files; and the hook that sorts every test into the unit, service or browser
lane by the fixtures it uses."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support import scratch_pg
from tests.support.broker import Mosquitto, make_broker
from tests.support.db import migrated_sqlite
from tests.support.pg import fresh_database
from tests.support.route_cache import install as share_route_dependants

# Property tests check behaviour, not speed: on two shared cores one example can take 100x
# another, so hypothesis's per-example deadline is off for the whole suite.
settings.register_profile("posada", deadline=None)
settings.load_profile("posada")

_SCRATCH_PG = pytest.StashKey[Path | None]()


def pytest_configure(config: pytest.Config) -> None:
    """Staff passwords hash with argon2id at its cheapest in tests (one app and a few accounts per
    test); tests of the hashing itself give their parameters explicitly. Processes the tests start
    inherit it; a test that sets its own value keeps it. The session's scratch PostgreSQL gets its
    directory here, in the first process, before xdist starts the workers that inherit its name."""
    os.environ.setdefault("POSADA_ARGON2_MEMORY_KIB", "1024")
    os.environ.setdefault("POSADA_ARGON2_TIME_COST", "1")
    share_route_dependants()  # each app's first request builds its routes: 0.3 s, most of it shared
    if not hasattr(config, "workerinput"):  # the session's first process; xdist workers inherit it
        config.stash[_SCRATCH_PG] = scratch_pg.prepare_session()


def pytest_unconfigure(config: pytest.Config) -> None:
    """The first process stops the scratch PostgreSQL (if a test started it) after the last worker."""
    directory = config.stash.get(_SCRATCH_PG, None)
    if directory is not None:
        scratch_pg.end_session(directory)


# Fixtures that start or reach a real service: PostgreSQL, Mosquitto, victoria-metrics, Node.js
# (MicroPython), uvicorn or gateway processes. A test that uses one, directly or through another
# fixture, is a `service` test. A new fixture of that kind belongs here; a test that starts a
# service in its own body carries `@pytest.mark.service` itself.
SERVICE_FIXTURES = frozenset({
    "pg_url",                # tests/conftest.py: a fresh PostgreSQL database
    "mosquitto",             # tests/conftest.py: the session's Mosquitto
    "own_mosquitto",         # tests/conftest.py: a Mosquitto the test may stop and restart
    "billing_pg",            # tests/cloud/billing/db_fixtures.py: the billing tests' PostgreSQL database
    "broker",                # tests/cloud/telemetry/test_{end_to_end,worker}.py: a Mosquitto of their own
    "tls_broker",            # tests/edge/test_tls.py: Mosquitto with a TLS listener
    "victoria",              # tests/cloud/telemetry/conftest.py: victoria-metrics
    "micropython_results",   # tests/firmware/test_fw_micropython.py: MicroPython under Node.js
    "server",                # tests/browser/conftest.py: the cloud under uvicorn on PostgreSQL
    "hotel",                 # tests/browser/test_{walk,keycards}.py: cloud and gateway processes
    "floor",                 # tests/browser/test_floors.py: uvicorn and Mosquitto
    "wiring",                # tests/integration/conftest.py: a broker and gateways
    "smtp",                  # tests/cloud/guestweb/conftest.py: a local SMTP server (aiosmtpd)
})
# Parametrised fixtures whose parameter picks a real service (db_url and billing's engine run on
# "sqlite" and "postgresql"; only the PostgreSQL case needs the server).
SERVICE_PARAMS = frozenset({"postgresql", "mosquitto"})
BROWSER_FIXTURES = frozenset({"browser", "playwright_"})  # tests/browser/conftest.py: Chromium


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """The machine's speed beside the run's time (it drifts several-fold within a day): the CPU
    seconds of the benchmarks' fixed loop, measured as the run ends (0.08-0.09 s on a fast hour)."""
    if hasattr(config, "workerinput"):
        return
    from tests.bench.raw_mqtt import reference_seconds

    terminalreporter.write_line(f"machine-speed reference (fixed loop, CPU s): {reference_seconds():.3f}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test `service`, `browser` or, when it needs neither and is no benchmark, fuzz run or
    slow test, `unit` (the fast lane)."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))  # the transitive closure of its fixtures
        callspec = getattr(item, "callspec", None)
        params = callspec.params.values() if callspec is not None else ()
        if used & SERVICE_FIXTURES or any(isinstance(p, str) and p in SERVICE_PARAMS for p in params):
            item.add_marker(pytest.mark.service)
        if used & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if not any(item.get_closest_marker(name) for name in ("service", "browser", "bench", "fuzz", "slow")):
            item.add_marker(pytest.mark.unit)


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


# Databases come migrated (copies of one migrated once: Alembic took about a second per test);
# `empty_db_url` is for the tests of the migrations themselves.
@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return migrated_sqlite(tmp_path / "cloud.db")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield migrated_sqlite(tmp_path / "cloud.db")
    else:
        with fresh_database() as url:
            yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on SQLite and on PostgreSQL, for tests that migrate it themselves."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cloud.db'}"
    else:
        with fresh_database(migrated=False) as url:
            yield url
