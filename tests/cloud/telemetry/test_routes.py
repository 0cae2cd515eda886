from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cloud.auth.models import AuditEntry
from cloud.auth.roles import Principal, Role
from cloud.auth.scope import SiteScope, site_scope
from cloud.core.deps import get_session
from cloud.core.problems import install_problem_handlers
from cloud.telemetry.alerts.monitor import AlertMonitor
from cloud.telemetry.alerts.rules import Thresholds
from cloud.telemetry.latest import LatestStore
from cloud.telemetry.points import all_points
from cloud.telemetry.routes import router
from tests.cloud.telemetry.dbutil import migrated
from tests.cloud.telemetry.factory import item

NOW = datetime.now(UTC).replace(microsecond=0)
MAINTENANCE = Principal(user_id="u1", username="fixer", display_name="Fixer", role=Role.MAINTENANCE,
                        chain="acme", site="hq")


@pytest.fixture
def client(db_url):
    sessions = migrated(db_url)
    LatestStore(sessions).write(all_points([
        item("101", at=NOW - timedelta(minutes=10), readings={"door_open": True}),
        item("102", at=NOW, readings={"temperature_c": 21.5, "lock_battery_v": 2.2}),
        item("201", floor="f2", at=NOW, readings={"occupied": True}),
    ]))
    AlertMonitor(sessions, thresholds=Thresholds()).tick(NOW)
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)

    def session():
        with sessions() as s:
            yield s

    app.dependency_overrides[get_session] = session
    app.dependency_overrides[site_scope] = lambda: SiteScope(MAINTENANCE, app.state.sites)
    app.state.sites = frozenset({"hq"})
    app.state.sessions = sessions
    return TestClient(app)


def test_latest_readings_per_room_filtered_by_floor(client):
    rooms = client.get("/api/v1/telemetry/rooms", params={"site": "hq", "floor": "f1"}).json()
    assert [r["room"] for r in rooms] == ["101", "102"]
    assert rooms[1]["readings"]["temperature_c"]["value"] == 21.5


def test_open_alerts_and_their_tasks_are_listed(client):
    alerts = client.get("/api/v1/telemetry/alerts").json()
    assert sorted((a["kind"], a["subject"]) for a in alerts) == [
        ("door_ajar", "101"), ("lock_battery_low", "102")]
    tasks = client.get("/api/v1/maintenance/tasks", params={"status": "open"}).json()
    assert len(tasks) == 2


def test_staff_take_and_finish_a_task_and_cannot_reopen_it(client):
    task = client.get("/api/v1/maintenance/tasks").json()[0]
    url = f"/api/v1/maintenance/tasks/{task['id']}"
    assert client.patch(url, json={"status": "in_progress"}).json()["status"] == "in_progress"
    done = client.patch(url, json={"status": "done"}).json()
    assert done["status"] == "done" and done["closed_at"]
    refused = client.patch(url, json={"status": "in_progress"})
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    with client.app.state.sessions() as s:
        entries = s.scalars(select(AuditEntry).order_by(AuditEntry.at)).all()
    assert [(e.action, e.actor, e.entity_id) for e in entries] == [
        ("maintenance_task.in_progress", "fixer", str(task["id"])),
        ("maintenance_task.done", "fixer", str(task["id"]))]


def test_unknown_task_and_bad_status_are_clear_errors(client):
    assert client.patch("/api/v1/maintenance/tasks/9999", json={"status": "done"}).status_code == 404
    assert client.patch("/api/v1/maintenance/tasks/1", json={"status": "lost"}).status_code == 422
    assert client.get("/api/v1/telemetry/rooms", params={"site": "Bad Site"}).status_code == 422


def test_staff_of_another_property_see_no_readings_alerts_or_tasks(client):
    client.app.state.sites = frozenset({"annex"})
    assert client.get("/api/v1/telemetry/rooms").json() == []
    assert client.get("/api/v1/telemetry/alerts").json() == []
    assert client.get("/api/v1/maintenance/tasks").json() == []
    for path in ("/api/v1/telemetry/rooms", "/api/v1/telemetry/alerts", "/api/v1/maintenance/tasks"):
        assert client.get(path, params={"site": "hq"}).status_code == 403, path


def test_a_task_of_another_property_cannot_be_changed_nor_probed(client):
    task = client.get("/api/v1/maintenance/tasks").json()[0]
    client.app.state.sites = frozenset({"annex"})
    url = f"/api/v1/maintenance/tasks/{task['id']}"
    assert client.patch(url, json={"status": "in_progress"}).status_code == 404
    client.app.state.sites = frozenset({"hq"})
    assert client.get("/api/v1/maintenance/tasks").json()[0]["status"] == "open"
