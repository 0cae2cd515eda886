"""Maintenance pages: rooms in alarm, a room's telemetry, alerts and tasks, and the task actions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.auth.models import AuditEntry
from cloud.telemetry.models import Alert, MaintenanceTask, RoomTelemetryLatest
from mqtt.envelope import utcnow
from tests.cloud.auth.portal_app import PortalApp, csrf_of, fast_auth_env, portal_app
from tests.cloud.housekeeping import seed

MAINTAINERS = ["maintenance-hotel", "manager-hotel", "chain-admin"]


def _alert(session: Session, site: str, floor: str, room: str, kind: str, detail: str, *,
           closed: bool = False, task: str = "open") -> int:
    now = utcnow()
    alert = Alert(kind=kind, site=site, floor=floor, subject=room, detail=detail,
                  opened_at=now - timedelta(hours=2), last_seen_at=now, seen=3,
                  closed_at=now - timedelta(hours=1) if closed else None)
    session.add(alert)
    session.flush()
    row = MaintenanceTask(alert_id=alert.id, site=site, floor=floor, room=room, title=f"{kind}: {detail}",
                          status=task, created_at=alert.opened_at,
                          closed_at=now if task in ("done", "cleared") else None)
    session.add(row)
    session.flush()
    return row.id


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> Iterator[PortalApp]:
    fast_auth_env(monkeypatch)
    with portal_app(sqlite_url) as app:
        with app.auth.sessionmaker.begin() as session:
            seed.rooms(session)
            seed.stays_today(session)  # a guest leaves 101 today: her name must not show here
            now = utcnow().isoformat()
            readings = {"temperature_c": 21.5, "humidity_pct": 44.0, "lock_battery_v": 2.31,
                        "link_quality_pct": 97.0, "door_open": False, "occupied": True}
            session.add(RoomTelemetryLatest(site="hotel", floor="f1", room="101", updated_at=utcnow(),
                                            readings={k: {"v": v, "at": now, "since": now, "rising": None}
                                                      for k, v in readings.items()}))
            _alert(session, "hotel", "f1", "101", "lock_battery_low", "lock battery 2.31 V below 2.50 V")
            _alert(session, "hotel", "f1", "101", "door_ajar", "door open for 400 s", closed=True,
                   task="cleared")
            _alert(session, "annex", "g", "g01", "temperature_out_of_range",
                   "temperature_c 31.0 outside 16..28")
        yield app


def signed_in(portal: PortalApp, username: str) -> TestClient:
    client = portal.client()
    portal.sign_in(client, username)
    return client


def task_id(portal: PortalApp, site: str, kind: str) -> int:
    with portal.auth.sessionmaker() as session:
        task = session.scalar(select(MaintenanceTask).join(Alert, Alert.id == MaintenanceTask.alert_id)
                              .where(Alert.site == site, Alert.kind == kind))
        assert task is not None
        return task.id


def status_of(portal: PortalApp, task: int) -> str:
    with portal.auth.sessionmaker() as session:
        row = session.get(MaintenanceTask, task)
        assert row is not None
        return row.status


def post(client: TestClient, task: int | str, action: str, *, token: str | None = None) -> Any:
    token = token if token is not None else csrf_of(client, "/maintenance")
    return client.post(f"/maintenance/tasks/{task}", data={"action": action, "csrf_token": token},
                       follow_redirects=False)


@pytest.mark.parametrize("username", MAINTAINERS)
def test_rooms_with_open_alerts_are_listed_for_their_property(portal: PortalApp, username: str) -> None:
    page = signed_in(portal, username).get("/maintenance")
    assert page.status_code == 200
    assert 'id="alarm-hotel-f1-101"' in page.text and "Lock battery low" in page.text
    assert "Door left open" not in page.text  # closed alerts are not in alarm
    assert ('id="alarm-annex-g-g01"' in page.text) is (username == "chain-admin")


@pytest.mark.parametrize("username", MAINTAINERS)
def test_a_rooms_page_shows_latest_telemetry_alerts_and_tasks_without_guest_data(
        portal: PortalApp, username: str) -> None:
    page = signed_in(portal, username).get("/maintenance/rooms/hotel/f1/101")
    assert page.status_code == 200
    for text in ("21.5 °C", "44.0 %", "2.31 V", "97.0 %", "Lock battery low", "Door left open",
                 "lock battery 2.31 V below 2.50 V", "Acknowledge"):
        assert text in page.text, text
    assert seed.GUEST not in page.text and "García" not in page.text


@pytest.mark.parametrize("username", ["housekeeping-hotel", "front_desk-hotel"])
@pytest.mark.parametrize("path", ["/maintenance", "/maintenance/rooms/hotel/f1/101"])
def test_other_roles_are_refused_the_maintenance_pages(portal: PortalApp, username: str, path: str) -> None:
    page = signed_in(portal, username).get(path)
    assert page.status_code == 403 and "2.31 V" not in page.text


def test_another_propertys_room_page_is_refused(portal: PortalApp) -> None:
    page = signed_in(portal, "maintenance-annex").get("/maintenance/rooms/hotel/f1/101")
    assert page.status_code == 403 and "2.31 V" not in page.text


def test_acknowledge_then_done_is_audited_and_done_stays_done(portal: PortalApp) -> None:
    client = signed_in(portal, "maintenance-hotel")
    task = task_id(portal, "hotel", "lock_battery_low")
    answer = post(client, task, "acknowledge")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/maintenance/rooms/hotel/f1/101#task-{task}"
    assert status_of(portal, task) == "in_progress"
    assert post(client, task, "done").status_code == 303
    assert status_of(portal, task) == "done"
    again = post(client, task, "acknowledge")
    assert again.status_code == 409 and f"Task {task} is done; it cannot change that way." in again.text
    assert status_of(portal, task) == "done"
    with portal.auth.sessionmaker() as session:
        entries = list(session.scalars(select(AuditEntry).where(AuditEntry.entity == "maintenance_task")
                                       .order_by(AuditEntry.at)))
    assert [(e.action, e.entity_id, e.site) for e in entries] == [
        ("maintenance_task.acknowledge", str(task), "hotel"), ("maintenance_task.done", str(task), "hotel")]


def test_another_propertys_task_is_unknown(portal: PortalApp) -> None:
    task = task_id(portal, "annex", "temperature_out_of_range")
    assert post(signed_in(portal, "maintenance-hotel"), task, "done").status_code == 404
    assert status_of(portal, task) == "open"


@pytest.mark.parametrize("username", ["housekeeping-hotel", "front_desk-hotel"])
def test_other_roles_may_not_change_tasks(portal: PortalApp, username: str) -> None:
    client = signed_in(portal, username)
    task = task_id(portal, "hotel", "lock_battery_low")
    assert post(client, task, "done", token=csrf_of(client, "/account")).status_code == 403
    assert status_of(portal, task) == "open"


def test_a_task_post_without_the_csrf_token_is_refused(portal: PortalApp) -> None:
    client = signed_in(portal, "maintenance-hotel")
    task = task_id(portal, "hotel", "lock_battery_low")
    assert client.post(f"/maintenance/tasks/{task}", data={"action": "done"}).status_code == 403
    assert status_of(portal, task) == "open"


HOSTILE_ACTIONS = ["", "DONE", "open", "cleared", "in_progress", "x" * 5000, "<b>done</b>"]


def test_hostile_task_actions_are_refused(portal: PortalApp) -> None:
    client = signed_in(portal, "maintenance-hotel")
    task = task_id(portal, "hotel", "lock_battery_low")
    for action in HOSTILE_ACTIONS:  # a refusal leaves the task open: the next one meets it as it was
        answer = post(client, task, action)
        assert answer.status_code == 400 and "expected acknowledge or done" in answer.text, action[:40]
        assert answer.headers["content-type"].startswith("text/plain")  # never rendered as markup
        assert status_of(portal, task) == "open", action[:40]


HOSTILE_TASK_IDS = [("0", 422), ("-1", 422), ("abc", 422), ("9" * 30, 422), ("999999", 404)]


def test_hostile_task_ids_are_refused(portal: PortalApp) -> None:
    client = signed_in(portal, "maintenance-hotel")
    for task, status in HOSTILE_TASK_IDS:
        assert post(client, task, "done").status_code == status, task
    assert status_of(portal, task_id(portal, "hotel", "lock_battery_low")) == "open"
