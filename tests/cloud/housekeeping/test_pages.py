"""The housekeeping board and its actions: who may see and act, what reaches the floor's gateway."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cloud.auth.models import AuditEntry
from cloud.commands.models import Command
from mqtt.envelope import utcnow
from tests.cloud.auth.portal_app import PortalApp, csrf_of
from tests.cloud.housekeeping import seed

VIEWERS = ["housekeeping-hotel", "front_desk-hotel", "manager-hotel", "chain-admin"]


def signed_in(portal: PortalApp, username: str) -> TestClient:
    client = portal.client()
    portal.sign_in(client, username)
    return client


def act(client: TestClient, path: str, action: Any, *, token: str | None = None) -> Any:
    token = token if token is not None else csrf_of(client, "/housekeeping")
    return client.post(f"/housekeeping/{path}", data={"action": action, "csrf_token": token},
                       follow_redirects=False)


def commands(portal: PortalApp) -> list[Command]:
    with portal.auth.sessionmaker() as session:
        return list(session.scalars(select(Command).where(Command.type == "room.settings")))


def audits(portal: PortalApp) -> list[AuditEntry]:
    with portal.auth.sessionmaker() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action.like("housekeeping.%"))))


@pytest.mark.parametrize("username", VIEWERS)
def test_viewing_roles_see_their_properties_rooms_by_floor(portal: PortalApp, username: str) -> None:
    page = signed_in(portal, username).get("/housekeeping")
    assert page.status_code == 200
    assert 'id="room-hotel-f1-101"' in page.text and 'id="hk-floor-hotel-f2"' in page.text
    assert ('id="room-annex-g-g01"' in page.text) is (username == "chain-admin")


def test_maintenance_is_refused_the_housekeeping_board(portal: PortalApp) -> None:
    page = signed_in(portal, "maintenance-hotel").get("/housekeeping")
    assert page.status_code == 403 and "room-hotel-f1-101" not in page.text


def test_anonymous_visitor_is_sent_to_sign_in(portal: PortalApp) -> None:
    page = portal.client().get("/housekeeping", follow_redirects=False)
    assert page.status_code in (302, 303, 307) and "/signin" in page.headers["location"]


def test_marking_a_dirty_room_clean_sends_room_settings_to_its_floor_audited(portal: PortalApp) -> None:
    client = signed_in(portal, "housekeeping-hotel")
    answer = act(client, "hotel/f1/101", "clean")
    assert answer.status_code == 303 and answer.headers["location"] == "/housekeeping#room-hotel-f1-101"
    [command] = commands(portal)
    assert (command.site, command.floor) == ("hotel", "f1")
    assert command.data == {"room": "101", "housekeeping": "clean"}
    [entry] = audits(portal)
    assert entry.action == "housekeeping.clean" and entry.entity_id == "hotel/f1/101"
    assert entry.detail == {"from": "dirty", "to": "clean", "command": command.id}
    page = client.get("/housekeeping").text
    tile = page[page.index('id="room-hotel-f1-101"'):].split("</li>")[0]
    assert 'data-state="clean"' in tile and '<span class="hk-pending">' in tile  # shown: on its way


def test_start_cleaning_then_mark_clean_while_the_gateway_has_not_answered(portal: PortalApp) -> None:
    client = signed_in(portal, "housekeeping-hotel")
    assert act(client, "hotel/f1/101", "start").status_code == 303
    assert act(client, "hotel/f1/101", "clean").status_code == 303
    assert [c.data["housekeeping"] for c in commands(portal)] == ["in_progress", "clean"]


def test_the_gateways_newer_snapshot_ends_the_pending_request(portal: PortalApp) -> None:
    client = signed_in(portal, "housekeeping-hotel")
    act(client, "hotel/f1/101", "clean")
    with portal.auth.sessionmaker.begin() as session:
        seed.reported(session, "hotel", "f1", "101", housekeeping="dirty", at=utcnow() + timedelta(seconds=5))
    page = client.get("/housekeeping").text
    tile = page[page.index('id="room-hotel-f1-101"'):].split("</li>")[0]
    assert 'data-state="dirty"' in tile and '<span class="hk-pending" hidden>' in tile


def test_do_not_disturb_refuses_start_cleaning(portal: PortalApp) -> None:
    answer = act(signed_in(portal, "housekeeping-hotel"), "hotel/f1/103", "start")
    assert answer.status_code == 409 and "Room 103 is marked do not disturb." in answer.text
    assert commands(portal) == [] and audits(portal) == []


def test_an_action_that_does_not_fit_the_state_is_refused(portal: PortalApp) -> None:
    client = signed_in(portal, "manager-hotel")
    refused = act(client, "hotel/f2/201", "clean")  # inspected already
    assert refused.status_code == 409
    assert "Room 201 is inspected now; that action does not apply." in refused.text
    assert act(client, "hotel/f1/101", "inspect").status_code == 409  # dirty: clean it first
    assert commands(portal) == []


def test_inspection_is_for_managers_not_housekeeping(portal: PortalApp) -> None:
    assert act(signed_in(portal, "housekeeping-hotel"), "hotel/f1/102", "inspect").status_code == 403
    assert commands(portal) == []
    assert act(signed_in(portal, "manager-hotel"), "hotel/f1/102", "inspect").status_code == 303
    assert act(signed_in(portal, "chain-admin"), "hotel/f1/101", "clean").status_code == 303
    assert [c.data["housekeeping"] for c in commands(portal)] == ["inspected", "clean"]


@pytest.mark.parametrize("username", ["front_desk-hotel", "maintenance-hotel"])
def test_roles_that_do_not_clean_may_not_act(portal: PortalApp, username: str) -> None:
    client = signed_in(portal, username)
    token = csrf_of(client, "/account")
    assert act(client, "hotel/f1/101", "clean", token=token).status_code == 403
    assert commands(portal) == []


def test_another_propertys_room_is_refused(portal: PortalApp) -> None:
    client = signed_in(portal, "housekeeping-annex")
    assert act(client, "hotel/f1/101", "clean").status_code == 403
    assert commands(portal) == [] and audits(portal) == []
    assert "room-hotel-f1-101" not in client.get("/housekeeping").text


def test_a_post_without_the_csrf_token_is_refused(portal: PortalApp) -> None:
    client = signed_in(portal, "housekeeping-hotel")
    assert client.post("/housekeeping/hotel/f1/101", data={"action": "clean"}).status_code == 403
    assert act(client, "hotel/f1/101", "clean", token="0" * 64).status_code == 403
    assert commands(portal) == []


HOSTILE_ACTIONS = ["", "CLEAN", "clean ", "dirty", "out_of_order", "x" * 5000,
                   "clean'; DROP TABLE commands; --", "<script>alert(1)</script>"]


def test_hostile_actions_are_refused_with_a_clear_error(portal: PortalApp) -> None:
    client = signed_in(portal, "housekeeping-hotel")
    for action in HOSTILE_ACTIONS:  # a refusal changes nothing: the next one meets the same room
        answer = act(client, "hotel/f1/101", action)
        assert answer.status_code == 400 and "That is not a housekeeping action." in answer.text, action[:40]
        assert "<script>alert" not in answer.text
        assert commands(portal) == [], action[:40]


HOSTILE_ROOMS = [
    ("hotel/f1/999", 404), ("hotel/f9/101", 404), ("hotel/F1/101", 422), ("hotel/f1/..", 404),
    ("hotel/f1/" + "1" * 80, 422), ("rival/f1/101", 403), ("hotel/f1/101%00", 422),
]


def test_hostile_or_unknown_rooms_are_refused(portal: PortalApp) -> None:
    client = signed_in(portal, "housekeeping-hotel")
    for path, status in HOSTILE_ROOMS:
        assert act(client, path, "clean").status_code == status, path
        assert commands(portal) == [], path


def test_a_missing_action_field_is_refused(portal: PortalApp) -> None:
    client = signed_in(portal, "housekeeping-hotel")
    token = csrf_of(client, "/housekeeping")
    answer = client.post("/housekeeping/hotel/f1/101", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 400 and commands(portal) == []


def test_arrivals_and_departures_today_show_room_numbers_only(portal: PortalApp) -> None:
    with portal.auth.sessionmaker.begin() as session:
        seed.stays_today(session)
    page = signed_in(portal, "housekeeping-hotel").get("/housekeeping").text
    leaving = page[page.index('id="room-hotel-f1-101"'):].split("</li>")[0]
    arriving = page[page.index('id="room-hotel-f1-102"'):].split("</li>")[0]
    assert "departure today" in leaving and "arrival today" not in leaving
    assert "arrival today" in arriving and "departure today" not in arriving
    assert "García" not in page and "Garc" not in page


def test_nav_links_follow_the_role(portal: PortalApp) -> None:
    housekeeping = signed_in(portal, "housekeeping-hotel").get("/").text
    assert 'href="/housekeeping"' in housekeeping and 'href="/maintenance"' not in housekeeping
    maintenance = signed_in(portal, "maintenance-hotel").get("/").text
    assert 'href="/maintenance"' in maintenance and 'href="/housekeeping"' not in maintenance
    manager = signed_in(portal, "manager-hotel").get("/").text
    assert 'href="/maintenance"' in manager and 'href="/housekeeping"' in manager
