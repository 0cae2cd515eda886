"""A token's principal comes from memory only while nothing about it changed, whoever changed it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from cloud.app import create_app
from cloud.auth import deps
from cloud.auth.api import Me
from cloud.auth.principal_cache import PrincipalCache, Resolved
from cloud.auth.roles import Principal, Role
from cloud.settings import Settings
from tests.support.staff import sign_in_staff

NOW = datetime(2027, 1, 1, tzinfo=UTC)


@pytest.fixture
def desk(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, list[int]]]:
    """A front-desk client of a running app (lifespan on), and a count of database lookups."""
    lookups = [0]
    real = deps._resolve

    def counted(*args: Any, **kwargs: Any) -> Resolved | None:
        lookups[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(deps, "_resolve", counted)
    app = create_app(Settings(database_url=db_url, mqtt_enabled=False))
    with TestClient(app) as client:
        sign_in_staff(client, role=Role.FRONT_DESK)
        yield client, lookups


def _write(client: TestClient, sql: str) -> None:
    """A change made outside this process's code: another worker, or an operator's tool."""
    with client.app.services.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text(sql), {"now": datetime.now(UTC)})


def test_a_known_token_is_answered_from_memory(desk: tuple[TestClient, list[int]]) -> None:
    client, lookups = desk
    for _ in range(3):
        assert client.get("/api/v1/auth/me").status_code == 200
    assert lookups[0] == 1


def test_me_answers_the_model_s_bytes(desk: tuple[TestClient, list[int]]) -> None:
    """``/me`` is encoded without its response model: the same bytes and type as through it."""
    client, _lookups = desk
    answer = client.get("/api/v1/auth/me")
    assert answer.headers["content-type"] == "application/json"
    model = Me.model_validate(answer.json())
    assert answer.content == json.dumps(model.model_dump(mode="json"), ensure_ascii=False,
                                        separators=(",", ":")).encode()
    assert list(answer.json()) == list(Me.model_fields)


def test_a_token_revoked_elsewhere_is_refused_on_its_next_request(desk: tuple[TestClient, list[int]]) -> None:
    client, _lookups = desk
    assert client.get("/api/v1/auth/me").status_code == 200
    _write(client, "UPDATE api_tokens SET revoked_at = :now")
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_role_changed_elsewhere_counts_on_the_next_request(desk: tuple[TestClient, list[int]]) -> None:
    client, _lookups = desk
    assert client.get("/api/v1/properties/hotel/availability",
                      params={"arrival": "2027-05-01", "departure": "2027-05-02"}).status_code != 403
    _write(client, "UPDATE staff_users SET role = 'housekeeping'")
    assert client.get("/api/v1/auth/me").json()["role"] == "housekeeping"
    assert client.get("/api/v1/properties/hotel/availability",
                      params={"arrival": "2027-05-01", "departure": "2027-05-02"}).status_code == 403


def test_a_deactivated_account_is_refused_on_its_next_request(desk: tuple[TestClient, list[int]]) -> None:
    client, _lookups = desk
    assert client.get("/api/v1/auth/me").status_code == 200
    _write(client, "UPDATE staff_users SET active = false")
    assert client.get("/api/v1/auth/me").status_code == 401


def test_routine_writes_leave_the_copies_in_memory(
        desk: tuple[TestClient, list[int]]) -> None:
    client, lookups = desk
    assert client.get("/api/v1/auth/me").status_code == 200
    _write(client, "UPDATE api_tokens SET last_used_at = NULL")  # a routine write: no new stamp
    assert client.get("/api/v1/auth/me").status_code == 200
    assert lookups[0] == 1


def _principal() -> Principal:
    return Principal(user_id="u", username="u", display_name="U", role=Role.FRONT_DESK, chain="c", site="s")


def test_a_copy_holds_only_at_its_stamp_and_before_its_time() -> None:
    cache = PrincipalCache()
    cache.put("k", Resolved(_principal(), NOW + timedelta(seconds=60)), stamp=7)
    assert cache.get("k", stamp=7, now=NOW) == _principal()
    assert cache.get("k", stamp=8, now=NOW) is None
    assert cache.get("k", stamp=7, now=NOW + timedelta(seconds=60)) is None
    assert cache.get("other", stamp=7, now=NOW) is None


def test_a_full_cache_starts_again() -> None:
    cache = PrincipalCache(max_entries=2)
    for key in ("a", "b", "c"):
        cache.put(key, Resolved(_principal(), NOW + timedelta(seconds=60)), stamp=1)
    assert cache.get("a", stamp=1, now=NOW) is None
    assert cache.get("c", stamp=1, now=NOW) is not None
