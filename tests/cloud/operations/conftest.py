"""One app and one database for the package's tests, each on its own rows: the demo property, a
manager's API token, a clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.roles import Role
from cloud.cards.issuer import KeyringIssuer
from cloud.core.db import make_sessionmaker
from cloud.keys.storage import KeyDirectory
from cloud.setup.demo import seed_demo
from tests.cloud.reservations.apps import client_for
from tests.support.db import migrated_engine

NOW = datetime(2027, 3, 1, 15, 30, tzinfo=UTC)  # 16:30 in Madrid


class Clock:
    now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="package", name="sessions")
def _sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    path = tmp_path_factory.mktemp("ops") / "cloud.db"
    engine = migrated_engine(f"sqlite:///{path}")
    maker: sessionmaker[Session] = make_sessionmaker(engine)
    with maker.begin() as s:
        seed_demo(s)
    yield maker
    engine.dispose()


@pytest.fixture(scope="package", name="clock")
def _clock() -> Clock:
    return Clock()


@pytest.fixture(scope="package", name="keys_dir")
def _keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(scope="package", name="manager")
def _manager(sessions: sessionmaker[Session], clock: Clock, keys_dir: Path) -> Iterator[TestClient]:
    keys = KeyDirectory(keys_dir).load_or_create(now=NOW - timedelta(days=30))
    with client_for(sessions, clock=clock, issuer=KeyringIssuer(keys), role=Role.MANAGER) as client:
        yield client


def book_and_check_in(
    client: TestClient,
    *,
    arrival: str = "2027-03-01",
    departure: str = "2027-03-04",
    email: str | None = "ana@guest.test",
    language: str = "es",
) -> str:
    body = {
        "room_type": "std",
        "rate_plan": "flex",
        "arrival": arrival,
        "departure": departure,
        "adults": 1,
        "guest_name": "Ana",
        "guest_language": language,
    }
    if email:
        body["guest_email"] = email
    r = client.post("/api/v1/properties/hotel/reservations", json=body)
    assert r.status_code == 201, r.text
    stay = str(r.json()["id"])
    r = client.post(f"/api/v1/reservations/{stay}/check-in")
    assert r.status_code == 200, r.text
    return stay
