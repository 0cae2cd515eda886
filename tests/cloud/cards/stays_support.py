"""A checked-in stay through the real API, a clock the test moves, and a desk station's calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.accounts import ensure_property

CHECK_IN_AT = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)  # 16:00 in Madrid, the arrival day
BOOKING = {
    "room_type": "std",
    "rate_plan": "flex",
    "arrival": "2027-03-01",
    "departure": "2027-03-03",
    "adults": 2,
    "guest_name": "Ana Ruiz",
}


@dataclass
class Clock:
    now: datetime = CHECK_IN_AT

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def checked_in(client: TestClient) -> str:
    booked = client.post("/api/v1/properties/hotel/reservations", json=BOOKING)
    assert booked.status_code == 201, booked.text
    res_id: str = booked.json()["id"]
    checked = client.post(f"/api/v1/reservations/{res_id}/check-in")
    assert checked.status_code == 200, checked.text
    return res_id


def cards(client: TestClient, res_id: str) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/reservations/{res_id}/cards")
    assert r.status_code == 200, r.text
    listed: list[dict[str, Any]] = r.json()
    return listed


def other_property(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        ensure_property(s, site="other", chain="other-chain", name="Other")
