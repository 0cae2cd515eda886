"""Staff of one property never read another property's rooms, logs, telemetry or folios."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from cloud.board.models import EventRecord, Gateway, RoomStatus
from cloud.telemetry.alerts.monitor import AlertMonitor
from cloud.telemetry.alerts.rules import Thresholds
from cloud.telemetry.latest import LatestStore
from cloud.telemetry.points import all_points
from tests.cloud.auth.portal_app import PASSWORD, PortalApp
from tests.cloud.auth.test_security import api_routes
from tests.cloud.telemetry.factory import item

NOW = datetime.now(UTC).replace(microsecond=0)
ROOMS = {"hotel": "101", "annex": "201"}


def seed(portal: PortalApp) -> None:
    """One room, gateway, door event (same keycard) and telemetry alert at each property."""
    sessions = portal.app.services.sessions
    with sessions.begin() as s:
        for n, (site, room) in enumerate(ROOMS.items()):
            s.add(Gateway(site=site, floor="f1", state="online", last_seen=NOW))
            s.add(RoomStatus(site=site, floor="f1", room=room, door="closed", updated_at=NOW))
            s.add(EventRecord(id=f"ev-{site}", site=site, floor="f1", room=room, type="access.decision",
                              ts=NOW, source=f"gw-{site}", seq=n + 1, credential_id="card-7",
                              data={"granted": True}, received_at=NOW))
    LatestStore(sessions).write(all_points([
        item(room, site=site, at=NOW - timedelta(minutes=10), readings={"door_open": True})
        for site, room in ROOMS.items()]))
    AlertMonitor(sessions, thresholds=Thresholds()).tick(NOW)


def bearer(portal: PortalApp, username: str) -> TestClient:
    client = portal.client()
    issued = client.post("/api/v1/auth/tokens", json={"username": username, "password": PASSWORD})
    assert issued.status_code == 201, issued.text
    client.headers["Authorization"] = f"Bearer {issued.json()['token']}"
    return client


def sites_in(answer: Any) -> set[str]:
    return set(re.findall(r'"site":"([a-z0-9-]+)"', answer if isinstance(answer, str) else answer.text))


LISTS = ["/api/v1/board", "/api/v1/events/recent", "/api/v1/credentials/card-7/events",
         "/api/v1/telemetry/rooms", "/api/v1/telemetry/alerts", "/api/v1/maintenance/tasks"]


def test_front_desk_of_one_property_sees_only_its_own_lists(portal: PortalApp) -> None:
    seed(portal)
    desk = bearer(portal, "front_desk-hotel")
    for path in LISTS:
        r = desk.get(path)
        assert r.status_code == 200 and sites_in(r) == {"hotel"}, (path, r.text)
        assert desk.get(path, params={"site": "annex"}).status_code in (403, 200), path
    for path in ("/api/v1/board", "/api/v1/events/recent", "/api/v1/telemetry/rooms",
                 "/api/v1/telemetry/alerts", "/api/v1/maintenance/tasks"):
        assert desk.get(path, params={"site": "annex"}).status_code == 403, path


def test_a_room_log_of_another_property_is_refused_in_the_api_and_the_portal(portal: PortalApp) -> None:
    seed(portal)
    desk = bearer(portal, "front_desk-hotel")
    assert desk.get("/api/v1/rooms/hotel/f1/101/events").json()[0]["id"] == "ev-hotel"
    assert desk.get("/api/v1/rooms/annex/f1/201/events").status_code == 403
    assert desk.get("/rooms/annex/f1/201").status_code == 403
    page = desk.get("/")
    # Room tiles by their element ids: a bare "201" can occur by chance in tokens or times.
    assert 'id="room-hotel-f1-101"' in page.text and 'id="room-annex-f1-201"' not in page.text


def test_a_maintenance_task_of_another_property_cannot_be_changed(portal: PortalApp) -> None:
    seed(portal)
    annex_task = bearer(portal, "maintenance-annex").get("/api/v1/maintenance/tasks").json()[0]
    fixer = bearer(portal, "maintenance-hotel")
    url = f"/api/v1/maintenance/tasks/{annex_task['id']}"
    assert fixer.patch(url, json={"status": "in_progress"}).status_code == 404


def test_a_chain_admin_sees_every_property_of_the_chain(portal: PortalApp) -> None:
    seed(portal)
    admin = bearer(portal, "chain-admin")
    for path in LISTS:
        assert sites_in(admin.get(path)) == {"hotel", "annex"}, path
    assert admin.get("/api/v1/rooms/annex/f1/201/events").status_code == 200
    assert admin.get("/api/v1/rooms/rival/f1/1/events").status_code == 403  # another chain
    assert admin.get("/api/v1/ingest").json()["events_stored"] == 2


def test_ingest_counters_are_for_managers_and_count_their_own_property(portal: PortalApp) -> None:
    seed(portal)
    for username in ("front_desk-hotel", "maintenance-hotel", "housekeeping-hotel"):
        assert bearer(portal, username).get("/api/v1/ingest").status_code == 403, username
    assert bearer(portal, "manager-annex").get("/api/v1/ingest").json()["events_stored"] == 1


def test_a_folio_of_another_property_is_not_found(portal: PortalApp) -> None:
    desk = bearer(portal, "front_desk-hotel")
    opened = desk.post("/api/v1/folios", headers={"Idempotency-Key": "scope-1"}, json={
        "site": "hotel", "currency": "EUR", "guest": {"name": "Ana García", "language": "es"}})
    assert opened.status_code == 201, opened.text
    path = f"/api/v1/folios/{opened.json()['id']}"
    assert desk.get(path).status_code == 200
    other = bearer(portal, "front_desk-annex").get(path)
    assert other.status_code == 404 and "Ana" not in other.text
    assert bearer(portal, "chain-admin").get(path).json()["guest_name"] == "Ana García"
    refused = bearer(portal, "front_desk-annex").post(
        "/api/v1/folios", headers={"Idempotency-Key": "scope-2"},
        json={"site": "hotel", "currency": "EUR", "guest": {"name": "X", "language": "es"}})
    assert refused.status_code == 403


SAMPLE_QUERY = {"arrival": "2026-12-01", "departure": "2026-12-03", "day": "2026-12-01", "adults": "1",
                "start": "2026-12-01", "end": "2026-12-08", "days": "7", "floor": "f1", "limit": "10"}


def test_every_read_naming_a_site_refuses_a_property_the_reader_does_not_work_at(
        portal: PortalApp) -> None:
    """Generic: each GET route with a ``site`` path or query parameter, asked for another property."""
    seed(portal)
    desk = bearer(portal, "front_desk-hotel")
    routes = [r for r in api_routes(portal.app.routes) if "GET" in r.methods and "site" in
              {p.name for p in r.dependant.path_params + r.dependant.query_params}]
    assert len(routes) >= 10
    for route in routes:
        if route.path == "/api/v1/board/stream":
            continue  # an endless stream; its scope is tested with a live server
        if route.path.startswith("/guest/"):
            continue  # the guests' public pages (cloud/guestweb): no staff scope; a booking by its link
        path = route.path.replace("{site}", "annex")
        path = re.sub(r"\{[^}]+\}", "x1", path)
        params = {**SAMPLE_QUERY, "site": "annex"}
        r = desk.get(path, params=params, follow_redirects=False)
        assert r.status_code in (403, 404), (route.path, r.status_code, r.text[:200])
        assert "annex" not in sites_in(r), route.path
