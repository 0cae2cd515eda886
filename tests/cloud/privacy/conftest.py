"""The reservations fixtures (migrated database, demo hotel, card issuer) for the personal-data tests,
and a manager's client of the real app in the afternoon (check-in open)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.roles import Role
from tests.cloud.reservations.apps import client_for
from tests.cloud.reservations.conftest import (  # noqa: F401
    NOW,
    RecordingIssuer,
    _fast_password_hashing,
    engine,
    issuer,
    sessions,
)


@pytest.fixture
def manager(sessions: sessionmaker[Session], issuer: RecordingIssuer) -> Iterator[TestClient]:  # noqa: F811
    afternoon = NOW.replace(hour=15)  # 16:00 at the hotel: check-in is open
    with client_for(sessions, clock=lambda: afternoon, issuer=issuer, role=Role.MANAGER) as client:
        yield client
