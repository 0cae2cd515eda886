"""Reservation changes reach the audit trail with who, role and address, and managers read them
back through the API and the CSV export; other roles and properties see none of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.accounts import chain_of, ensure_property
from cloud.auth.audit_log import verify_log
from cloud.auth.roles import Role
from tests.cloud.reservations.apps import client_for
from tests.cloud.reservations.conftest import NOW, RecordingIssuer
from tests.cloud.reservations.test_api import BODY


@pytest.fixture
def desk(sessions: sessionmaker[Session], issuer: RecordingIssuer) -> Iterator[TestClient]:
    with client_for(sessions, clock=lambda: NOW, issuer=issuer) as c:
        yield c


def test_a_booking_its_change_and_its_cancellation_are_audited_for_the_manager(
        desk: TestClient, sessions: sessionmaker[Session]) -> None:
    res = desk.post("/api/v1/properties/hotel/reservations", json=BODY).json()
    desk.patch(f"/api/v1/reservations/{res['id']}", json={"departure": "2027-03-15"})
    desk.post(f"/api/v1/reservations/{res['id']}/cancel")
    with client_for(sessions, clock=lambda: NOW, role=Role.MANAGER) as manager:
        found = manager.get("/api/v1/audit", params={"entity_id": res["id"]}).json()
        actions = [e["action"] for e in found]
        assert actions[-1] == "reservation.create" and "reservation.update" in actions
        cancel = next(e for e in found if e["detail"].get("after", {}).get("status") == "cancelled")
        assert (cancel["actor"], cancel["role"], cancel["address"]) == ("front_desk-hotel", "front_desk",
                                                                        "testclient")
        created = found[-1]["detail"]["after"]
        assert created["guest_name"] == "[redacted]" and "Ana" not in str(found)
        csv = manager.get("/api/v1/audit/export.csv", params={"action": "reservation."})
        assert csv.headers["content-type"].startswith("text/csv") and res["id"] in csv.text
        assert manager.get("/api/v1/audit/verify").json()["intact"] is True
        page = manager.get("/audit", params={"entity_id": res["id"]})
        assert page.status_code == 200 and "reservation.create" in page.text
        later = manager.get("/audit", params={"since": "2099-01-01T00:00", "entity_id": res["id"]})
        assert later.status_code == 200 and "reservation.create" not in later.text
        earlier = manager.get("/api/v1/audit", params={"until": "2000-01-01T00:00:00Z"})
        assert earlier.json() == []
    assert desk.get("/api/v1/audit").status_code == 403
    with sessions.begin() as s:
        ensure_property(s, site="annex", chain=chain_of(s, "hotel") or "", name="Annex")
    with client_for(sessions, clock=lambda: NOW, role=Role.MANAGER, site="annex") as elsewhere:
        assert elsewhere.get("/api/v1/audit", params={"entity_id": res["id"]}).json() == []
    with sessions() as s:
        assert not hasattr(verify_log(s), "reason")


def test_the_room_a_booking_holds_and_frees_by_plain_statements_is_audited(
        desk: TestClient, sessions: sessionmaker[Session]) -> None:
    res = desk.post("/api/v1/properties/hotel/reservations", json=BODY).json()
    if not res["rooms"]:  # booked without a room: the desk assigns one
        assert desk.post(f"/api/v1/reservations/{res['id']}/assign").status_code == 200
    desk.post(f"/api/v1/reservations/{res['id']}/cancel")
    with client_for(sessions, clock=lambda: NOW, role=Role.MANAGER) as manager:
        found = manager.get("/api/v1/audit", params={"action": "stay_room."}).json()
    mine = [e for e in found
            if res["id"] in (e["detail"].get("after", {}).get("reservation_id"),
                             e["detail"].get("before", {}).get("reservation_id"))]
    assert [e["action"] for e in mine] == ["stay_room.delete", "stay_room.create"]  # newest first
    assert mine[0]["entity_id"] == mine[1]["entity_id"]  # the same allocation, held then freed
    assert mine[1]["detail"]["after"]["start_night"] == BODY["arrival"]
