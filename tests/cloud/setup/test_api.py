"""The set-up API: who may read and change a property's document, the diff, dry runs, problems."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.app import create_app
from cloud.auth.accounts import create_staff, ensure_property, principal_of
from cloud.auth.context import AuthContext
from cloud.auth.roles import Role
from cloud.auth.sessions import issue_api_token
from cloud.catalog.models import Property, RatePrice
from cloud.settings import Settings
from mqtt.envelope import utcnow
from tests.cloud.setup.conftest import NOW, SITE, hotel_data

CHAIN = "azul-hoteles"


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def app_client(hotel: sessionmaker[Session]) -> Iterator[TestClient]:
    url = hotel.kw["bind"].url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, mqtt_enabled=False), clock=lambda: NOW)
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.services.engine.dispose()


def _token(client: TestClient, role: Role, *, site: str | None = SITE, chain: str = CHAIN) -> dict[str, str]:
    ctx: AuthContext = client.app.services.auth  # type: ignore[attr-defined]
    with ctx.sessionmaker.begin() as s:
        if site is not None and site != SITE:
            ensure_property(s, site=site, chain=chain, name=site)
        user = create_staff(
            s,
            actor="test",
            passwords=ctx.passwords,
            username=f"u-{secrets.token_hex(4)}",
            display_name="Test",
            password=secrets.token_urlsafe(16),
            role=role,
            site=None if role is Role.CHAIN_ADMIN else site,
            chain=chain,
        )
        s.flush()
        token, _ = issue_api_token(
            s, principal=principal_of(s, user), name="t", now=utcnow(), settings=ctx.settings
        )
    return {"Authorization": f"Bearer {token}"}


def _put(client: TestClient, data: Any, headers: dict[str, str], **params: str) -> Any:
    return client.put(f"/api/v1/properties/{SITE}/setup", json=data, headers=headers, params=params)


def test_a_manager_reads_the_document_as_json_and_yaml(app_client: TestClient) -> None:
    manager = _token(app_client, Role.MANAGER)
    as_json = app_client.get(f"/api/v1/properties/{SITE}/setup", headers=manager)
    assert as_json.status_code == 200 and len(as_json.json()["rooms"]) == 60
    as_yaml = app_client.get(f"/api/v1/properties/{SITE}/setup", headers=manager, params={"format": "yaml"})
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(as_yaml.text)["property"]["site"] == SITE


def test_a_dry_run_shows_the_diff_and_changes_nothing_then_the_put_applies_it(
    app_client: TestClient, hotel: sessionmaker[Session]
) -> None:
    manager = _token(app_client, Role.MANAGER)
    data = hotel_data()
    data["prices"][0]["amount_minor"] = 6100
    dry = _put(app_client, data, manager, dry_run="true")
    assert dry.status_code == 200, dry.text
    change = dry.json()["changes"][0]
    assert dry.json()["counts"] == {"update": 1}
    assert (change["before"]["amount_minor"], change["after"]["amount_minor"]) == (6000, 6100)
    with hotel() as s:
        assert s.scalar(select(func.count()).where(RatePrice.amount_minor == 6100)) == 0
    applied = app_client.put(
        f"/api/v1/properties/{SITE}/setup",
        content=yaml.safe_dump(data),
        headers={**manager, "content-type": "application/yaml"},
    )
    assert applied.status_code == 200 and applied.json()["counts"] == {"update": 1}
    with hotel() as s:
        assert s.scalar(select(func.count()).where(RatePrice.amount_minor == 6100)) == 1
    assert _put(app_client, data, manager).json()["changes"] == []


def test_bad_documents_answer_problem_details_listing_every_problem(app_client: TestClient) -> None:
    manager = _token(app_client, Role.MANAGER)
    data = hotel_data()
    data["property"]["currency"] = "XXZ"
    data["rooms"][12]["floor"] = "f9"
    r = _put(app_client, data, manager)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["problems"] == [
        {"path": "property.currency", "message": "'XXZ' is not an ISO 4217 currency code"},
        {"path": "rooms[12].floor", "message": "no floor 'f9'"},
    ]
    latin = app_client.put(
        f"/api/v1/properties/{SITE}/setup",
        content="property: Peñón".encode("latin-1"),
        headers={**manager, "content-type": "application/yaml"},
    )
    assert latin.status_code == 422 and "not UTF-8" in latin.json()["problems"][0]["message"]
    other = hotel_data()
    other["property"]["site"] = "elsewhere"
    assert _put(app_client, other, manager).json()["problems"][0]["path"] == "property.site"


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.HOUSEKEEPING, Role.MAINTENANCE])
def test_other_roles_may_not_read_or_change_the_set_up(app_client: TestClient, role: Role) -> None:
    staff = _token(app_client, role)
    assert app_client.get(f"/api/v1/properties/{SITE}/setup", headers=staff).status_code == 403
    assert _put(app_client, hotel_data(), staff).status_code == 403


def test_a_manager_of_another_property_or_an_admin_of_another_chain_is_refused(
    app_client: TestClient,
) -> None:
    elsewhere = _token(app_client, Role.MANAGER, site="otro-hotel")
    assert app_client.get(f"/api/v1/properties/{SITE}/setup", headers=elsewhere).status_code == 403
    assert _put(app_client, hotel_data(), elsewhere).status_code == 403
    stranger = _token(app_client, Role.CHAIN_ADMIN, site=None, chain="other-chain")
    assert app_client.get(f"/api/v1/properties/{SITE}/setup", headers=stranger).status_code == 403


def _new_hotel() -> dict[str, Any]:
    data = hotel_data()
    data["property"].update(site="casa-verde", number=8, name="Hotel Casa Verde")
    data["out_of_order"] = []
    return data


def test_a_chain_administrator_creates_a_property_of_the_chain(
    app_client: TestClient, hotel: sessionmaker[Session]
) -> None:
    admin = _token(app_client, Role.CHAIN_ADMIN, site=None)
    assert (
        app_client.put(f"/api/v1/properties/{SITE}/setup", json=hotel_data(), headers=admin).status_code
        == 200
    )
    dry = app_client.post("/api/v1/properties", json=_new_hotel(), headers=admin, params={"dry_run": "true"})
    assert dry.status_code == 200 and dry.json()["counts"] == {"create": 121}
    created = app_client.post("/api/v1/properties", json=_new_hotel(), headers=admin)
    assert created.status_code == 201, created.text
    assert app_client.post("/api/v1/properties", json=_new_hotel(), headers=admin).status_code == 409
    with hotel() as s:
        assert s.scalar(select(func.count()).select_from(Property)) == 2
    manager = _token(app_client, Role.MANAGER, site="casa-verde")
    assert app_client.get("/api/v1/properties/casa-verde/setup", headers=manager).status_code == 200


def test_only_a_chain_administrator_of_that_chain_creates_properties(app_client: TestClient) -> None:
    manager = _token(app_client, Role.MANAGER)
    assert app_client.post("/api/v1/properties", json=_new_hotel(), headers=manager).status_code == 403
    stranger = _token(app_client, Role.CHAIN_ADMIN, site=None, chain="other-chain")
    refused = app_client.post("/api/v1/properties", json=_new_hotel(), headers=stranger)
    assert refused.status_code == 403 and "azul-hoteles" in refused.json()["detail"]
