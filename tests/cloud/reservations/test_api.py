"""The reservations API: quotes, idempotent booking, problem details, changes and moves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import TextClause, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.roles import Role
from cloud.core.fast_reads import FastReads
from cloud.reservations.models import Reservation
from cloud.reservations.sales import quick_availability
from tests.cloud.reservations.apps import client_for
from tests.cloud.reservations.conftest import NOW, RecordingIssuer

BODY = {
    "room_type": "std",
    "rate_plan": "flex",
    "arrival": "2027-03-11",
    "departure": "2027-03-14",
    "adults": 2,
    "guest_name": "Ana Ruiz",
    "guest_email": "ana@example.com",
}


@pytest.fixture
def client(sessions: sessionmaker[Session], issuer: RecordingIssuer) -> Iterator[TestClient]:
    with client_for(sessions, clock=lambda: NOW, issuer=issuer) as c:
        yield c


def test_availability_quotes_each_night_per_type_and_plan(client: TestClient) -> None:
    r = client.get(
        "/api/v1/properties/hotel/availability",
        params={"arrival": "2027-03-11", "departure": "2027-03-14", "adults": 3},
    )
    assert r.status_code == 200
    offers = {(o["room_type"], o["rate_plan"]): o for o in r.json()}
    assert set(offers) == {("sup", "flex"), ("sup", "nonref"), ("ste", "flex"), ("ste", "nonref")}
    sup = offers[("sup", "flex")]
    assert [n["amount_minor"] for n in sup["nights"]] == [12000, 14000, 14000]
    assert sup["total_minor"] == 40000 and sup["deposit_minor"] == 12000 and sup["rooms_left"] == 6
    assert offers[("sup", "nonref")]["deposit_minor"] == offers[("sup", "nonref")]["total_minor"]


def test_retry_with_the_same_idempotency_key_returns_the_first_reservation(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    first = client.post("/api/v1/properties/hotel/reservations", json=BODY, headers={"Idempotency-Key": "k1"})
    again = client.post("/api/v1/properties/hotel/reservations", json=BODY, headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert first.json()["rooms"][0]["floor"] in ("f1", "f2")
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Reservation)) == 1
    other = client.post(
        "/api/v1/properties/hotel/reservations", json={**BODY, "adults": 1}, headers={"Idempotency-Key": "k1"}
    )
    assert other.status_code == 422
    assert other.json()["type"] == "/problems/idempotency-key-reused"


def test_the_booking_answer_is_what_the_reservation_reads_back(client: TestClient) -> None:
    """The answer to a booking is built from what the sale wrote (catalog codes, nights, its one
    room), not read back: the same as reading the reservation afterwards."""
    for body in (BODY, {**BODY, "arrival": "2027-03-20", "departure": "2027-03-21", "adults": 1}):
        made = client.post("/api/v1/properties/hotel/reservations", json=body)
        assert made.status_code == 201
        read = client.get(f"/api/v1/reservations/{made.json()['id']}")
        assert read.status_code == 200
        assert made.json() == read.json()
        assert len(made.json()["nights"]) >= 1 and len(made.json()["rooms"]) == 1


def test_sold_out_is_a_conflict_problem(client: TestClient) -> None:
    body = {**BODY, "room_type": "ste"}
    for _ in range(2):
        assert client.post("/api/v1/properties/hotel/reservations", json=body).status_code == 201
    r = client.post("/api/v1/properties/hotel/reservations", json=body)
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/reservations/sold-out"


@pytest.mark.parametrize(
    "change",
    [
        {"departure": "2027-03-10"},
        {"adults": 0},
        {"guest_email": "not-an-email"},
        {"surprise": 1},
        {"arrival": "11/03/2027"},
        {"guest_name": ""},
        {"guest_id": "not-a-ulid"},
    ],
)
def test_hostile_bodies_are_refused_with_nothing_stored(
    client: TestClient, sessions: sessionmaker[Session], change: dict[str, object]
) -> None:
    r = client.post("/api/v1/properties/hotel/reservations", json={**BODY, **change})
    assert r.status_code == 422
    assert r.json()["status"] == 422
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Reservation)) == 0


def test_other_properties_are_forbidden_and_unknown_reservations_not_found(client: TestClient) -> None:
    assert client.post("/api/v1/properties/nowhere/reservations", json=BODY).status_code == 403
    assert client.get("/api/v1/reservations/01HZZZZZZZZZZZZZZZZZZZZZZZ").status_code == 404


def test_modify_cancel_and_move_through_the_api(client: TestClient) -> None:
    res = client.post("/api/v1/properties/hotel/reservations", json=BODY).json()
    r = client.patch(f"/api/v1/reservations/{res['id']}", json={"departure": "2027-03-15"})
    assert r.status_code == 200 and len(r.json()["nights"]) == 4
    r = client.post(f"/api/v1/reservations/{res['id']}/move", json={"room": "205"})
    assert r.status_code == 200 and r.json()["rooms"] == [
        {"room": "205", "floor": "f2", "start_night": "2027-03-11", "end_night": "2027-03-15"}
    ]
    other = client.post("/api/v1/properties/hotel/reservations", json=BODY).json()
    taken = client.post(f"/api/v1/reservations/{other['id']}/move", json={"room": "205"})
    assert taken.status_code == 409 and taken.json()["type"] == "/problems/reservations/room-unavailable"
    assert client.get(f"/api/v1/reservations/{other['id']}").json()["rooms"] == other["rooms"]
    arrivals = client.get("/api/v1/properties/hotel/arrivals", params={"day": "2027-03-11"}).json()
    assert {a["id"] for a in arrivals} == {res["id"], other["id"]}
    r = client.post(f"/api/v1/reservations/{res['id']}/cancel")
    assert r.json()["status"] == "cancelled" and r.json()["rooms"] == []
    assert client.post(f"/api/v1/reservations/{res['id']}/cancel").status_code == 409


@pytest.mark.slow
def test_openapi_documents_the_reservation_paths(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/properties/{site}/reservations" in paths
    assert "/api/v1/properties/{site}/availability" in paths


def test_anonymous_and_housekeeping_staff_cannot_book(sessions: sessionmaker[Session]) -> None:
    with client_for(sessions, clock=lambda: NOW, role=Role.HOUSEKEEPING) as client:
        assert client.post("/api/v1/properties/hotel/reservations", json=BODY).status_code == 403
        anonymous = client.post(
            "/api/v1/properties/hotel/reservations", json=BODY, headers={"Authorization": ""}
        )
        assert anonymous.status_code == 401


def test_a_reservation_may_only_name_a_known_guest(client: TestClient) -> None:
    r = client.post(
        "/api/v1/properties/hotel/reservations", json={**BODY, "guest_id": "01J0000000000000000000000Z"}
    )
    assert r.status_code == 404 and "no guest" in r.json()["detail"]


def test_dates_no_hotel_means_are_refused_not_crashed_on(client: TestClient) -> None:
    for arrival, departure in (("0001-01-01", "0001-01-03"), ("9999-12-29", "9999-12-31")):
        r = client.get(
            "/api/v1/properties/hotel/availability", params={"arrival": arrival, "departure": departure}
        )
        assert r.status_code == 422
        r = client.post(
            "/api/v1/properties/hotel/reservations", json={**BODY, "arrival": arrival, "departure": departure}
        )
        assert r.status_code == 422


AVAILABILITY = "/api/v1/properties/hotel/availability"


def test_availability_checks_a_known_token_against_the_access_stamp_read_with_the_inventory(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the token and the catalog are known, an availability request is one statement (the
    access stamp with the inventory) and answers as before; a token never seen reads nothing before
    it is refused, and a role changed or a token revoked meanwhile is still refused."""
    calls: list[str] = []
    real_rows, real_scalar = FastReads.rows, FastReads.scalar

    async def rows(self: FastReads, statement: TextClause, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        calls.append("access+inventory" if statement is quick_availability.WITH_ACCESS_STAMP else "inventory")
        return await real_rows(self, statement, params)

    async def scalar(self: FastReads, sql: str) -> Any:
        calls.append("access")
        return await real_scalar(self, sql)

    monkeypatch.setattr(FastReads, "rows", rows)
    monkeypatch.setattr(FastReads, "scalar", scalar)
    stay = {"arrival": "2027-03-11", "departure": "2027-03-14", "adults": 2}
    first = client.get(AVAILABILITY, params=stay)
    assert first.status_code == 200 and calls == ["access", "inventory"]
    calls.clear()
    again = client.get(AVAILABILITY, params=stay)
    assert again.json() == first.json() and calls == ["access+inventory"]
    assert client.post("/api/v1/properties/hotel/reservations", json=BODY).status_code == 201
    calls.clear()
    left = client.get(AVAILABILITY, params=stay).json()
    after = {(o["room_type"], o["rate_plan"]): o["rooms_left"] for o in left}
    before = {(o["room_type"], o["rate_plan"]): o["rooms_left"] for o in first.json()}
    assert after == {**before, ("std", "flex"): before[("std", "flex")] - 1,
                     ("std", "nonref"): before[("std", "nonref")] - 1}
    assert calls == ["access+inventory"]
    calls.clear()
    stranger = {"Authorization": "Bearer never-seen"}
    assert client.get(AVAILABILITY, params=stay, headers=stranger).status_code == 401
    assert calls == ["access"]

    engine = client.app.services.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:  # another worker, or an operator's tool
        conn.execute(text("UPDATE staff_users SET role = 'housekeeping'"))
    assert client.get(AVAILABILITY, params=stay).status_code == 403
    with engine.begin() as conn:
        conn.execute(text("UPDATE staff_users SET role = 'front_desk'"))
    assert client.get(AVAILABILITY, params=stay).status_code == 200
    with engine.begin() as conn:
        conn.execute(text("UPDATE api_tokens SET revoked_at = :now"), {"now": NOW})
    assert client.get(AVAILABILITY, params=stay).status_code == 401
