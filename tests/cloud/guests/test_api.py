"""The guest REST API with bearer tokens: registration, profile, update, merge, export, erasure."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.cloud.auth.portal_app import PASSWORD, PortalApp, csrf_of

ANA = {
    "name": "Ana García",
    "email": "ana@example.com",
    "document": {"type": "passport", "number": "PA1234567", "country": "ES"},
}


def bearer(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/tokens", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_guest_life_cycle_over_the_api(portal: PortalApp) -> None:
    client = portal.client()
    auth = bearer(client, "front_desk-hotel")
    first = client.post("/api/v1/guests", json=ANA, headers=auth)
    assert first.status_code == 201 and first.json()["site"] == "hotel"
    second = client.post(
        "/api/v1/guests", json={"name": "Ana Garcia", "email": "ANA@example.com"}, headers=auth
    )
    gid, dup = first.json()["id"], second.json()["id"]
    profile = client.get(f"/api/v1/guests/{gid}", headers=auth).json()
    assert [d["id"] for d in profile["duplicates"]] == [dup]
    merged = client.post(f"/api/v1/guests/{gid}/merge", json={"other_id": dup}, headers=auth)
    assert merged.status_code == 200
    assert client.get(f"/api/v1/guests/{dup}", headers=auth).json()["guest"]["merged_into"] == gid
    updated = client.put(f"/api/v1/guests/{gid}", json={**ANA, "phone": "+34 611 222 333"}, headers=auth)
    assert updated.json()["phone"] == "+34 611 222 333"
    assert client.get("/api/v1/guests", params={"q": "+34611222333"}, headers=auth).json()[0]["id"] == gid
    export = client.get(f"/api/v1/guests/{gid}/export", headers=auth).json()
    assert export["guest"]["document"]["number"] == "PA1234567"
    assert {"guest.register", "guest.merge", "guest.update"} <= {e["action"] for e in export["audit"]}
    assert client.delete(f"/api/v1/guests/{gid}", headers=auth).status_code == 204
    assert client.get(f"/api/v1/guests/{gid}", headers=auth).json()["guest"]["erased"] is True
    assert client.put(f"/api/v1/guests/{gid}", json=ANA, headers=auth).status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "X", "email": "not-an-email"},
        {"name": "X", "document": {"type": "passport", "number": "1", "country": "ES"}},
        {"name": "X", "birth_date": "1800-01-01"},
        {"name": "X", "unknown": 1},
        {"name": "X", "preferences": {"pillow": "rock"}},
    ],
)
def test_invalid_guest_data_is_refused_with_a_precise_error(
    portal: PortalApp, body: dict[str, object]
) -> None:
    client = portal.client()
    r = client.post("/api/v1/guests", json=body, headers=bearer(client, "front_desk-hotel"))
    assert r.status_code == 422 and r.json()["errors"]


def test_chain_admin_must_name_the_property_and_may_only_use_their_chain(portal: PortalApp) -> None:
    client = portal.client()
    auth = bearer(client, "chain-admin")
    assert client.post("/api/v1/guests", json=ANA, headers=auth).status_code == 422
    assert client.post("/api/v1/guests?site=annex", json=ANA, headers=auth).status_code == 201
    assert client.post("/api/v1/guests?site=rival", json=ANA, headers=auth).status_code == 403


def test_cookie_authenticated_api_writes_need_the_csrf_header(portal: PortalApp) -> None:
    client = portal.client()
    portal.sign_in(client, "front_desk-hotel")
    assert client.post("/api/v1/guests", json=ANA).status_code == 403
    token = csrf_of(client, "/guests")
    assert client.post("/api/v1/guests", json=ANA, headers={"X-CSRF-Token": token}).status_code == 201


def test_erased_and_merged_profiles_still_open_in_the_portal(portal: PortalApp) -> None:
    client = portal.client()
    auth = bearer(client, "front_desk-hotel")
    gid = client.post("/api/v1/guests", json=ANA, headers=auth).json()["id"]
    client.delete(f"/api/v1/guests/{gid}", headers=auth)
    portal.sign_in(client, "front_desk-hotel")
    page = client.get(f"/guests/{gid}")
    assert page.status_code == 200 and "Erased guest" in page.text and "García" not in page.text


def test_chain_admin_registers_a_guest_at_a_chosen_property_in_the_portal(portal: PortalApp) -> None:
    client = portal.client()
    portal.sign_in(client, "chain-admin")
    token = csrf_of(client, "/guests/new")
    assert (
        client.post("/guests/new", data={"name": "Li Na", "site": "rival", "csrf_token": token}).status_code
        == 403
    )
    r = client.post(
        "/guests/new", data={"name": "Li Na", "site": "annex", "csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    desk = portal.client()
    portal.sign_in(desk, "front_desk-annex")
    assert "Li Na" in desk.get("/guests", params={"q": "li na"}).text
