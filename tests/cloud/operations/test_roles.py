"""Least privilege for the single-purpose roles, on the package's one app: the storekeeper sees and
changes the store rooms only, the spa attendant the facilities and their bookings only; everything
else is a 403. Each signs in to the page of their work."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from cloud.auth.accounts import create_staff, principal_of
from cloud.auth.context import AuthContext
from cloud.auth.roles import Role
from cloud.auth.sessions import issue_api_token
from mqtt.envelope import utcnow
from tests.cloud.auth.test_security import api_routes

# the package's one app and database: its modules run on one worker, in order (conftest.py)
pytestmark = pytest.mark.xdist_group("operations-app")

BASE = "/api/v1/properties/hotel"
PASSWORD = "correct-horse-battery"


def _headers(manager: TestClient, role: Role) -> dict[str, str]:
    ctx: AuthContext = manager.app.services.auth  # type: ignore[attr-defined]
    with ctx.sessionmaker.begin() as s:
        user = create_staff(
            s,
            actor="test",
            passwords=ctx.passwords,
            username=f"roles-{role.value}",
            display_name="Test",
            password=PASSWORD,
            role=role,
            site="hotel",
        )
        s.flush()
        token, _row = issue_api_token(
            s, principal=principal_of(s, user), name="t", now=utcnow(), settings=ctx.settings
        )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module", name="storekeeper")
def _storekeeper(manager: TestClient) -> dict[str, str]:
    return _headers(manager, Role.STOREKEEPER)


@pytest.fixture(scope="module", name="spa")
def _spa(manager: TestClient) -> dict[str, str]:
    return _headers(manager, Role.SPA)


ELSEWHERE = [
    ("get", f"{BASE}/service-requests"),
    ("get", f"{BASE}/service-types"),
    ("post", f"{BASE}/reservations"),
    ("get", f"{BASE}/attendance?week=2027-W09"),
    ("post", f"{BASE}/staff-cards"),
    ("get", "/api/v1/reservations/00000000000000000000000000/folio"),
    ("get", "/"),
    ("get", "/reservations"),
    ("get", "/operations/requests"),
]


@pytest.mark.parametrize(("method", "path"), ELSEWHERE)
def test_single_purpose_roles_are_refused_outside_their_work(
    manager: TestClient, storekeeper: dict[str, str], spa: dict[str, str], method: str, path: str
) -> None:
    for headers in (storekeeper, spa):
        r = manager.request(method, path, headers=headers, json={}, follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code, r.text[:200])


def test_storekeeper_keeps_the_store_and_nothing_else(
    manager: TestClient, storekeeper: dict[str, str]
) -> None:
    r = manager.post(f"{BASE}/store-rooms", json={"code": "cellar", "name": "Cellar"}, headers=storekeeper)
    assert r.status_code == 201, r.text
    r = manager.post(
        f"{BASE}/suppliers",
        json={"code": "bodega", "name": "Bodega", "email": "orders@bodega.test", "lead_days": 3},
        headers=storekeeper,
    )
    assert r.status_code == 201, r.text
    assert manager.get(f"{BASE}/items", headers=storekeeper).status_code == 200
    assert manager.get(f"{BASE}/purchase-orders", headers=storekeeper).status_code == 200
    assert manager.get("/operations/inventory", headers=storekeeper).status_code == 200
    for path in (f"{BASE}/facilities", f"{BASE}/facility-bookings?day=2027-03-01", "/operations/facilities"):
        assert manager.get(path, headers=storekeeper).status_code == 403, path


def test_spa_attendant_sees_the_facilities_and_not_the_store(
    manager: TestClient, spa: dict[str, str]
) -> None:
    assert manager.get(f"{BASE}/facilities", headers=spa).status_code == 200
    assert manager.get(f"{BASE}/facility-bookings?day=2027-03-01", headers=spa).status_code == 200
    assert manager.get("/operations/facilities", headers=spa).status_code == 200
    body = {
        "code": "sauna",
        "names": {"en": "Sauna"},
        "area": "spa",
        "opens": "09:00",
        "closes": "21:00",
        "capacity": 2,
        "slot_minutes": 60,
        "price_minor": 0,
        "charge_kind": "spa",
    }
    assert manager.post(f"{BASE}/facilities", json=body, headers=spa).status_code == 403  # managers add them
    for path in (f"{BASE}/items", f"{BASE}/purchase-orders", "/operations/inventory"):
        assert manager.get(path, headers=spa).status_code == 403, path
    r = manager.post(f"{BASE}/store-rooms", json={"code": "spa", "name": "Spa"}, headers=spa)
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("role", "home"), [(Role.STOREKEEPER, "/operations/inventory"), (Role.SPA, "/operations/facilities")]
)
def test_single_purpose_roles_sign_in_to_their_own_page(manager: TestClient, role: Role, home: str) -> None:
    ctx: AuthContext = manager.app.services.auth  # type: ignore[attr-defined]
    with ctx.sessionmaker.begin() as s:
        create_staff(
            s,
            actor="test",
            passwords=ctx.passwords,
            username=f"home-{role.value}",
            display_name="Home",
            password=PASSWORD,
            role=role,
            site="hotel",
        )
    browser = TestClient(manager.app, base_url="http://testserver")  # no second lifespan: the app runs
    page = browser.get("/signin").text
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert match
    r = browser.post(
        "/signin",
        data={"username": f"home-{role.value}", "password": PASSWORD, "csrf_token": match.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == home
    shown = browser.get(home)
    assert shown.status_code == 200
    assert 'href="/operations/requests"' not in shown.text and "Room board" not in shown.text


def test_no_page_fails_for_the_single_purpose_roles(
    manager: TestClient, storekeeper: dict[str, str], spa: dict[str, str]
) -> None:
    """Every page without parameters answers them, with their page or a refusal, never an error."""
    skip = ("/api/", "/guest", "/channels", "/metrics", "/static", "/docs", "/redoc", "/openapi")
    paths = sorted(
        {
            r.path
            for r in api_routes(manager.app.routes)  # type: ignore[attr-defined]
            if "GET" in r.methods
            and "{" not in r.path
            and "stream" not in r.path
            and not r.path.startswith(skip)
        }
    )
    assert len(paths) > 10
    for headers in (storekeeper, spa):
        for path in paths:
            r = manager.get(path, headers=headers, follow_redirects=False)
            assert r.status_code < 500, (path, r.status_code)
