"""Service requests on the real app: asked, moved along, charged on delivery, the guest told, late
ones escalated; refused input changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.models import StaffUser
from cloud.notify.models import OutboxMessage
from cloud.notify.settings import NotifySettings
from cloud.operations.requests.sweeper import LateRequestSweeper
from tests.cloud.operations.conftest import Clock, book_and_check_in

# the package's one app and database: its modules run on one worker, in order (conftest.py)
pytestmark = pytest.mark.xdist_group("operations-app")

BASE = "/api/v1/properties/hotel"


@pytest.fixture(scope="module", name="stay")
def _stay(manager: TestClient) -> str:
    for code, dept, price, kind in (
        ("towels", "housekeeping", 0, "restaurant"),
        ("club-sandwich", "food", 1200, "restaurant"),
    ):
        r = manager.post(
            f"{BASE}/service-types",
            json={
                "code": code,
                "department": dept,
                "price_minor": price,
                "charge_kind": kind,
                "promise_minutes": 30,
                "names": {"en": code.title(), "es": f"{code} es", "zh": f"{code} zh"},
            },
        )
        assert r.status_code == 201, r.text
    return book_and_check_in(manager)


def _folio_lines(client: TestClient, stay: str) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/reservations/{stay}/folio")
    assert r.status_code == 200, r.text
    return [c for c in r.json()["charges"] if c["kind"] == "restaurant"]


def test_a_meal_is_charged_once_when_delivered_and_the_guest_is_told(
    manager: TestClient, stay: str, sessions: sessionmaker[Session]
) -> None:
    r = manager.post(
        f"{BASE}/service-requests",
        json={"type": "club-sandwich", "reservation_id": stay, "room": "101", "quantity": 2},
    )
    assert r.status_code == 201, r.text
    req = r.json()["id"]
    assert manager.post(f"{BASE}/service-requests/{req}/accept").json()["state"] == "accepted"
    assert _folio_lines(manager, stay) == []  # nothing charged before delivery
    done = manager.post(f"{BASE}/service-requests/{req}/finish")
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "done" and done.json()["charged_minor"] == 2400
    assert len(_folio_lines(manager, stay)) == 1
    again = manager.post(f"{BASE}/service-requests/{req}/finish")
    assert again.status_code == 409 and len(_folio_lines(manager, stay)) == 1
    with sessions() as s:
        key = f"service-request-done:{req}"
        mail = s.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
    assert mail is not None and mail.channel == "email" and mail.language == "es"
    assert "está lista" in mail.payload["text"]


def test_the_board_lists_a_department_and_the_sweeper_escalates_late_requests(
    manager: TestClient, stay: str, sessions: sessionmaker[Session], clock: Clock
) -> None:
    r = manager.post(f"{BASE}/service-requests", json={"type": "towels", "room": "102"})
    req = r.json()["id"]
    board = manager.get(f"{BASE}/service-requests", params={"department": "housekeeping"}).json()
    assert [b["id"] for b in board] == [req] and board[0]["escalated"] is False
    assert manager.get(f"{BASE}/service-requests", params={"department": "food"}).json() == []
    with sessions.begin() as s:
        mine = StaffUser.username == "manager-hotel"
        s.execute(update(StaffUser).where(mine).values(email="boss@hotel.test"))
    notify = NotifySettings(telegram_housekeeping_chats={"hotel/*": "-100777"}, notify_staff_language="es")
    clock.now += timedelta(minutes=31)
    try:
        assert LateRequestSweeper(sessions, clock=clock, notify=notify).run_once() >= 1
        assert LateRequestSweeper(sessions, clock=clock, notify=notify).run_once() == 0  # once only
    finally:
        clock.now -= timedelta(minutes=31)
    with sessions() as s:
        late = OutboxMessage.dedupe_key.like(f"request-late:{req}:%")
        told = list(s.scalars(select(OutboxMessage).where(late)))
    assert sorted((m.channel, m.recipient) for m in told) == [("email", "boss@hotel.test"),
                                                            ("telegram", "-100777")]
    assert all("102" in m.payload["text"] and "towels es" in m.payload["text"] for m in told), told
    board = manager.get(f"{BASE}/service-requests", params={"department": "housekeeping"}).json()
    assert board[0]["escalated"] is True
    page = manager.get("/operations/requests", params={"department": "housekeeping"}).text
    assert "Escalated at" in page
    assert manager.post(f"{BASE}/service-requests/{req}/cancel").json()["state"] == "cancelled"
    assert manager.get(f"{BASE}/service-requests", params={"department": "housekeeping"}).json() == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"type": "club-sandwich", "room": "101"}, 422),  # priced, but no stay to charge
        ({"type": "nope"}, 404),
        ({"type": "towels", "quantity": 0}, 422),
        ({"type": "towels", "reservation_id": "01NOTHERE"}, 404),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_stored(
    manager: TestClient, stay: str, body: dict[str, Any], status: int
) -> None:
    before = manager.get(f"{BASE}/service-requests").json()
    r = manager.post(f"{BASE}/service-requests", json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert manager.get(f"{BASE}/service-requests").json() == before


def test_a_service_type_with_a_negative_price_is_refused(manager: TestClient) -> None:
    r = manager.post(
        f"{BASE}/service-types",
        json={
            "code": "bad",
            "department": "food",
            "price_minor": -1,
            "promise_minutes": 5,
            "names": {"en": "Bad"},
        },
    )
    assert r.status_code == 422
    assert all(t["code"] != "bad" for t in manager.get(f"{BASE}/service-types").json())
