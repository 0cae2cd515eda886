"""Sign-in throttling through the app: per address (spraying across accounts) and per account,
waits instead of locks, and a manager's unlock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cloud.auth.models import AuditEntry
from tests.cloud.auth.portal_app import PASSWORD, PortalApp, fast_auth_env, portal_app


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> Iterator[PortalApp]:
    fast_auth_env(monkeypatch)
    monkeypatch.setenv("POSADA_SIGNIN_ADDRESS_THRESHOLD", "4")
    monkeypatch.setenv("POSADA_SIGNIN_FIRST_WAIT_SECONDS", "30")
    with portal_app(sqlite_url) as app:
        yield app


def _client(portal: PortalApp, address: str) -> TestClient:
    return TestClient(portal.app, client=(address, 40000))


def _token(client: TestClient, username: str, password: str) -> int:
    return client.post("/api/v1/auth/tokens", json={"username": username, "password": password}).status_code


def test_spraying_one_password_across_accounts_is_slowed_per_address(portal: PortalApp) -> None:
    sprayer = _client(portal, "203.0.113.7")
    accounts = ["front_desk-hotel", "manager-hotel", "maintenance-hotel", "front_desk-annex"]
    assert [_token(sprayer, name, "Winter2026!") for name in accounts] == [401, 401, 401, 401]
    refused = sprayer.post("/api/v1/auth/tokens", json={"username": "housekeeping-hotel",
                                                        "password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["type"] == "/problems/sign-in-throttled"
    # the staff at the desk, from their own address, are not slowed by the sprayer
    assert _token(_client(portal, "198.51.100.20"), "housekeeping-hotel", PASSWORD) == 201


def test_an_attacker_cannot_keep_the_account_from_its_owner_past_a_wait(portal: PortalApp) -> None:
    attacker = _client(portal, "203.0.113.8")
    assert [_token(attacker, "front_desk-hotel", "guess-guess-1") for _ in range(4)] == [401, 401, 401, 429]
    owner = _client(portal, "198.51.100.21")
    assert _token(owner, "front_desk-hotel", PASSWORD) == 429  # a wait, not a lock: it ends by itself


def test_a_manager_unlocks_an_account_and_the_unlock_is_audited(portal: PortalApp) -> None:
    attacker = _client(portal, "203.0.113.9")
    for _ in range(3):
        _token(attacker, "front_desk-hotel", "guess-guess-2")
    manager = _client(portal, "198.51.100.22")
    token = manager.post("/api/v1/auth/tokens", json={"username": "manager-hotel", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    with portal.auth.sessionmaker() as s:
        from cloud.auth.models import StaffUser
        desk = s.scalars(select(StaffUser).where(StaffUser.username == "front_desk-hotel")).one()
    assert manager.post(f"/api/v1/auth/staff/{desk.id}/unlock", headers=headers).status_code == 204
    assert _token(_client(portal, "198.51.100.23"), "front_desk-hotel", PASSWORD) == 201
    with portal.auth.sessionmaker() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "staff.unlock")).one()
    assert (entry.actor, entry.role, entry.address, entry.entity_id) == (
        "manager-hotel", "manager", "198.51.100.22", desk.id)


def test_a_front_desk_member_cannot_unlock_anyone(portal: PortalApp) -> None:
    client = _client(portal, "198.51.100.24")
    token = client.post("/api/v1/auth/tokens", json={"username": "front_desk-hotel", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    assert client.post("/api/v1/auth/staff/01JD0000000000000000000001/unlock",
                       headers=headers).status_code == 403


def test_health_is_public_without_detail_and_detailed_for_staff(portal: PortalApp) -> None:
    client = _client(portal, "198.51.100.25")
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/api/v1/health").status_code == 401
    token = client.post("/api/v1/auth/tokens", json={"username": "maintenance-hotel", "password": PASSWORD})
    detail = client.get("/api/v1/health", headers={"Authorization": f"Bearer {token.json()['token']}"})
    assert detail.json()["database"] == {"ok": True, "dialect": "sqlite"}
