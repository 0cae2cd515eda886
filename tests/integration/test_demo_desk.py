"""The demo's desk station: a stay checked in by the demo's front desk gets its card encoded by
the demo's desk agent (simulated writer) when the portal asks."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from cloud.auth.roles import Role
from cloud.board.models import RoomStatus
from mqtt.envelope import utcnow
from posada.demo import Demo
from posada.demo_desk import DemoFrontDesk
from tests.integration.harness import wait_until
from tests.support.ports import free_port
from tests.support.staff import sign_in_staff

pytestmark = pytest.mark.service


def test_a_card_of_a_demo_stay_is_encoded_by_the_demo_desk(tmp_path: Path) -> None:
    demo = Demo(http_port=free_port(), mqtt_port=free_port(), data_dir=tmp_path)
    try:
        demo.start_cloud()
        demo.start_desk()
        # No gateway runs here: report 105 clean and empty as the floor's would, so that a walk-in
        # before the check-in hour (15:00) finds the room ready at any time of day.
        with demo.app.services.sessions.begin() as session:
            session.merge(RoomStatus(site="hotel", floor="f1", room="105", housekeeping="clean",
                                     occupied=False, updated_at=utcnow()))
        DemoFrontDesk(demo.app, site="hotel").card_for("105")  # walk-in, checked in
        token = sign_in_staff(TestClient(demo.app), site="hotel", role=Role.FRONT_DESK, chain="posada-demo")
        with httpx.Client(
            base_url=f"http://127.0.0.1:{demo.http_port}",
            timeout=10,
            headers={"Authorization": f"Bearer {token}"},
        ) as http:
            res_id = http.get("/api/v1/properties/hotel/arrivals", params={"day": _today(demo)}).json()[0][
                "id"
            ]
            [card] = http.get(f"/api/v1/reservations/{res_id}/cards").json()
            r = http.post(
                f"/api/v1/reservations/{res_id}/cards/{card['id']}/encode", json={"station": "desk-1"}
            )
            assert r.status_code == 201, r.text
            wait_until(
                lambda: http.get(f"/api/v1/reservations/{res_id}/cards").json()[0]["status"] == "encoded",
                timeout=60,
                what="the demo desk encoded the card",
            )
        assert demo.desk.encoded == 1
    finally:
        demo.stop()


def _today(demo: Demo) -> str:
    from cloud.core.nights import local_today
    from mqtt.envelope import utcnow

    return local_today(utcnow(), "Europe/Madrid").isoformat()
