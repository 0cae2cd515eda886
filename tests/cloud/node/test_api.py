"""Staff see their nodes' conflicts through the API, mark held ones handled, and nothing of
another property; errors are problem details."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from cloud.app import create_app
from cloud.auth.roles import Role
from cloud.node.replay import replay
from cloud.node.store import SqlLedger
from cloud.settings import Settings
from tests.cloud.node.test_replay import _outage
from tests.support.db import migrated_sqlite
from tests.support.staff import sign_in_staff

NOW = datetime(2026, 12, 4, 8, tzinfo=UTC)


def test_staff_list_and_resolve_their_nodes_conflicts(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=migrated_sqlite(tmp_path / "cloud.db"), mqtt_enabled=False))
    cloud, events = _outage()
    with app.services.sessions.begin() as session:
        replay(
            events, node="desk-pc", view=cloud, desk=cloud, ledger=SqlLedger(session, site="hotel", now=NOW)
        )
    with TestClient(app) as client:
        sign_in_staff(client, site="hotel", role=Role.FRONT_DESK)
        listed = client.get("/api/v1/nodes/hotel/conflicts")
        assert listed.status_code == 200, listed.text
        rules = [(c["reservation_id"], c["findings"][0]["rule"], c["held"]) for c in listed.json()]
        assert rules == [
            ("b2", "cancelled_online", True),
            ("b2", "held", True),
            ("w1", "room_sold_twice", True),
            ("w1", "held", True),
        ]
        clash = listed.json()[2]
        done = client.post(f"/api/v1/nodes/hotel/conflicts/{clash['event_id']}/resolved")
        assert done.status_code == 200 and done.json()["resolved_at"]
        again = client.post(f"/api/v1/nodes/hotel/conflicts/{clash['event_id']}/resolved")
        assert again.status_code == 409
        assert again.headers["content-type"].startswith("application/problem+json")
        missing = client.post("/api/v1/nodes/hotel/conflicts/nope/resolved")
        assert missing.status_code == 404
        assert client.get("/api/v1/nodes/annex/conflicts").status_code == 403
