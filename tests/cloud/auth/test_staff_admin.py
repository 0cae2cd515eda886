"""Managers run their property's staff; chain administrators the chain's; nobody else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cloud.auth.models import StaffUser
from cloud.auth.pages import safe_next
from cloud.auth.sessions import resolve_session, sign_in
from mqtt.envelope import utcnow
from tests.cloud.auth.portal_app import PASSWORD, PortalApp, csrf_of

NEW = {
    "username": "new-desk",
    "display_name": "Nueva Recepción",
    "password": "a-long-password-1",
    "site": "hotel",
}


def _create(portal: PortalApp, manager: str, **fields: str) -> int:
    client = portal.client()
    portal.sign_in(client, manager)
    data = {**NEW, "role": "front_desk", **fields, "csrf_token": csrf_of(client, "/staff")}
    return client.post("/staff", data=data, follow_redirects=False).status_code


def test_manager_creates_staff_of_their_own_property_who_can_sign_in(portal: PortalApp) -> None:
    assert _create(portal, "manager-hotel") == 303
    client = portal.client()
    portal.sign_in(client, "new-desk", "a-long-password-1")
    assert client.get("/guests").status_code == 200


@pytest.mark.parametrize(
    "fields",
    [
        {"site": "annex"},
        {"role": "chain_admin", "site": ""},
        {"password": "short"},
        {"username": "Bad Name!"},
    ],
)
def test_manager_cannot_create_outside_their_scope_or_with_bad_data(
    portal: PortalApp, fields: dict[str, str]
) -> None:
    assert _create(portal, "manager-hotel", **fields) == 422
    client = portal.client()
    client.get("/signin")
    r = client.post(
        "/signin",
        data={"username": NEW["username"], "password": NEW["password"], "csrf_token": csrf_of(client)},
        follow_redirects=False,
    )
    assert r.status_code == 401


def test_front_desk_cannot_reach_staff_admin(portal: PortalApp) -> None:
    assert _create(portal, "front_desk-hotel") == 403


def test_chain_admin_sees_every_property_of_the_chain(portal: PortalApp) -> None:
    client = portal.client()
    portal.sign_in(client, "chain-admin")
    page = client.get("/staff").text
    assert "front_desk-hotel" in page and "front_desk-annex" in page
    manager = portal.client()
    portal.sign_in(manager, "manager-hotel")
    page = manager.get("/staff").text
    assert "front_desk-hotel" in page and "front_desk-annex" not in page and "chain-admin" not in page


def test_deactivated_staff_lose_their_open_sessions(portal: PortalApp) -> None:
    desk = portal.client()
    portal.sign_in(desk, "front_desk-hotel")
    admin = portal.client()
    portal.sign_in(admin, "manager-hotel")
    with portal.auth.sessionmaker() as s:
        target = s.scalar(select(StaffUser.id).where(StaffUser.username == "front_desk-hotel"))
    r = admin.post(
        f"/staff/{target}/active",
        data={"active": "false", "csrf_token": csrf_of(admin, "/staff")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert desk.get("/guests", follow_redirects=False).status_code == 303


def test_idle_sessions_end(portal: PortalApp) -> None:
    ctx = portal.auth
    with ctx.sessionmaker() as s, s.begin():
        opened = sign_in(
            s,
            username="front_desk-hotel",
            password=PASSWORD,
            now=utcnow(),
            settings=ctx.settings,
            passwords=ctx.passwords,
        )
    token = opened.token  # type: ignore[union-attr]
    idle = timedelta(minutes=ctx.settings.session_idle_minutes)
    start, second = utcnow(), timedelta(seconds=5)
    with ctx.sessionmaker() as s:
        assert resolve_session(s, token, now=start + idle + second, settings=ctx.settings) is None
    with ctx.sessionmaker() as s, s.begin():  # activity moves the idle deadline on
        assert resolve_session(s, token, now=start + idle - second, settings=ctx.settings)
    with ctx.sessionmaker() as s:
        assert resolve_session(s, token, now=start + idle + second, settings=ctx.settings)
        assert resolve_session(s, token, now=start + 2 * idle, settings=ctx.settings) is None


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/guests?q=a", "/guests?q=a"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
    ],
)
def test_sign_in_redirects_only_to_local_paths(target: str, safe: str) -> None:
    assert safe_next(target) == safe


def test_manager_resets_a_password_and_the_old_one_stops_working(portal: PortalApp) -> None:
    desk = portal.client()
    portal.sign_in(desk, "front_desk-hotel")
    admin = portal.client()
    portal.sign_in(admin, "manager-hotel")
    with portal.auth.sessionmaker() as s:
        target = s.scalar(select(StaffUser.id).where(StaffUser.username == "front_desk-hotel"))
    token = csrf_of(admin, "/staff")
    assert (
        admin.post(f"/staff/{target}/password", data={"password": "short", "csrf_token": token}).status_code
        == 422
    )
    r = admin.post(
        f"/staff/{target}/password",
        data={"password": "a-brand-new-secret", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert desk.get("/guests", follow_redirects=False).status_code == 303  # its sessions ended
    portal.sign_in(portal.client(), "front_desk-hotel", "a-brand-new-secret")


def test_staff_change_their_own_password_with_the_current_one(portal: PortalApp) -> None:
    client = portal.client()
    portal.sign_in(client, "housekeeping-hotel")
    token = csrf_of(client, "/account")
    wrong = client.post(
        "/account/password", data={"current": "nope", "new": "another-long-one", "csrf_token": token}
    )
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text
    r = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "another-long-one", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/signin"
    portal.sign_in(portal.client(), "housekeeping-hotel", "another-long-one")
