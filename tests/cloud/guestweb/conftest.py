"""Fixtures: the demo hotel on a migrated database (SQLite; PostgreSQL where a test asks), a fixed
clock, and the real app serving the guest pages with no staff sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloud.app import create_app
from cloud.billing.settings import BillingSettings
from cloud.core.db import make_sessionmaker
from cloud.notify.settings import NotifySettings
from cloud.services import PosadaApp
from cloud.settings import Settings
from tests.cloud.reservations.conftest import NOW
from tests.support.db import migrated_engine, seed_demo_into
from tests.support.smtp import SmtpServer, smtp_server

WEBHOOK_SECRET = "whsec_test_guestweb"


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = migrated_engine(f"sqlite:///{tmp_path / 'cloud.db'}")
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    maker: sessionmaker[Session] = make_sessionmaker(engine)
    seed_demo_into(engine)
    return maker


class RealClock(Clock):
    """Real time, moved by the test when it needs (Stripe checks expiries against real time)."""

    def __init__(self) -> None:
        super().__init__(datetime.now(UTC))
        self.shift = timedelta(0)

    @property  # type: ignore[override]
    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift

    @now.setter
    def now(self, value: datetime) -> None:
        self.shift = value - datetime.now(UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


def make_app(sessions: sessionmaker[Session], clock: Clock, tmp_path: Path, *, smtp: SmtpServer | None = None,
             **billing: str) -> PosadaApp:
    """The real app; its own outbox loop sends email to ``smtp`` when given (else simulated)."""
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    notify = NotifySettings(notify_poll_s=0.1)
    if smtp is not None:
        notify = NotifySettings(notify_poll_s=0.1, smtp_host=smtp.host, smtp_port=smtp.port,
                                smtp_ca_file=smtp.ca_file, smtp_from="Hotel <desk@hotel.test>")
    settings = Settings(database_url=url, mqtt_enabled=False, keys_dir=str(tmp_path / "keys"), notify=notify,
                        billing=BillingSettings(stripe_webhook_secret=WEBHOOK_SECRET, **billing))
    return create_app(settings, clock=clock)


@pytest.fixture
def app(sessions: sessionmaker[Session], clock: Clock, tmp_path: Path) -> Iterator[PosadaApp]:
    app = make_app(sessions, clock, tmp_path)
    yield app
    app.services.engine.dispose()


@pytest.fixture
def client(app: PosadaApp) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    with smtp_server(tmp_path) as server:
        yield server
