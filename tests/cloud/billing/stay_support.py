"""The real app on a migrated, seeded database with a clock the test moves (stays and folios)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cloud.cards.issuer import KeyringIssuer
from cloud.core.db import make_sessionmaker
from cloud.keys.storage import KeyDirectory
from tests.cloud.reservations.apps import client_for
from tests.support.db import migrated_engine, seed_demo_into

BOOKED_AT = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # 10:00 in Madrid


@dataclass
class Clock:
    now: datetime = BOOKED_AT

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(name="stay_sessions")
def _stay_sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = migrated_engine(db_url)
    maker: sessionmaker[Session] = make_sessionmaker(engine)
    seed_demo_into(engine)
    yield maker
    engine.dispose()


@pytest.fixture(name="stay_clock")
def _stay_clock() -> Clock:
    return Clock()


@pytest.fixture(name="desk")
def _desk(stay_sessions: sessionmaker[Session], stay_clock: Clock,
          tmp_path: Path) -> Iterator[TestClient]:
    """The front desk on the real app; billing and stays share the test's clock."""
    keys = KeyDirectory(tmp_path / "keys").load_or_create(now=datetime(2027, 1, 1, tzinfo=UTC))
    with client_for(stay_sessions, clock=stay_clock, issuer=KeyringIssuer(keys)) as c:
        yield c


def book(client: TestClient, **changes: Any) -> dict[str, Any]:
    body = {"room_type": "std", "rate_plan": "flex", "arrival": "2027-03-03",
            "departure": "2027-03-06", "adults": 1, "guest_name": "Ana Ruiz",
            "guest_phone": "+34 600 111 222", **changes}
    r = client.post("/api/v1/properties/hotel/reservations", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def folio(client: TestClient, reservation_id: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/reservations/{reservation_id}/folio")
    assert r.status_code == 200, r.text
    return dict(r.json())


def owed(client: TestClient, reservation_id: str) -> int:
    return int(folio(client, reservation_id)["balances"]["guest"]["minor"])


def pay(client: TestClient, folio_id: str, minor: int, *, stage: str) -> None:
    amount = {"amount": f"{minor // 100}.{minor % 100:02d}", "currency": "EUR"}
    r = client.post(f"/api/v1/folios/{folio_id}/payments",
                    json={"amount": amount, "method": "cash", "stage": stage},
                    headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text


def charge(client: TestClient, folio_id: str, body: dict[str, Any]) -> int:
    r = client.post(f"/api/v1/folios/{folio_id}/charges", json=body,
                    headers={"Idempotency-Key": uuid.uuid4().hex})
    return r.status_code
