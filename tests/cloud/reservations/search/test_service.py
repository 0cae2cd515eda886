"""Finding reservations by name, email, phone, confirmation number, room, status and dates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.roles import Role
from tests.cloud.reservations.apps import client_for
from tests.cloud.reservations.conftest import NOW, RecordingIssuer

FIND = "/api/v1/properties/hotel/reservations"


def _book(client: TestClient, name: str, arrival: str, departure: str, **extra: Any) -> dict[str, Any]:
    body = {"room_type": "std", "rate_plan": "flex", "arrival": arrival, "departure": departure,
            "adults": 1, "guest_name": name, **extra}
    made = client.post(FIND, json=body)
    assert made.status_code == 201, made.text
    result: dict[str, Any] = made.json()
    return result


@pytest.fixture
def client(sessions: sessionmaker[Session], issuer: RecordingIssuer) -> Iterator[TestClient]:
    with client_for(sessions, clock=lambda: NOW, issuer=issuer) as c:
        yield c


def _names(client: TestClient, **params: str) -> list[str]:
    found = client.get(FIND, params=params)
    assert found.status_code == 200, found.text
    return [r["guest_name"] for r in found.json()]


def test_finds_by_name_words_email_phone_number_or_room(client: TestClient) -> None:
    ana = _book(client, "Ana Ruiz", "2027-03-11", "2027-03-13", guest_email="ana@example.com")
    _book(client, "Bruno Díaz", "2027-03-12", "2027-03-15", guest_phone="+34 600 111 222")
    _book(client, "Ana Belén", "2027-04-01", "2027-04-02")
    assert _names(client, q="ruiz") == ["Ana Ruiz"]
    assert _names(client, q="ANA") == ["Ana Belén", "Ana Ruiz"]  # latest arrival first
    assert _names(client, q="rui") == ["Ana Ruiz"]  # a prefix of three letters or more
    assert _names(client, q="belen ana") == ["Ana Belén"]  # every word, any order, accents folded
    assert _names(client, q="bruno diaz") == ["Bruno Díaz"]
    assert _names(client, q="ANA@Example.com") == ["Ana Ruiz"]  # the whole address, any case
    assert _names(client, q="+34600111222") == ["Bruno Díaz"]  # the whole number, spaces aside
    # sealed copies are searched through keyed hashes: no substrings in the middle of a word
    assert _names(client, q="example.com") == [] and _names(client, q="600 111") == []
    assert _names(client, q=ana["id"].lower()) == ["Ana Ruiz"]
    assert _names(client, q=ana["rooms"][0]["room"]) == ["Ana Ruiz"]
    assert _names(client, q="nobody") == []


def test_like_wildcards_in_the_text_are_literal(client: TestClient) -> None:
    _book(client, "Ana Ruiz", "2027-03-11", "2027-03-13")
    assert _names(client, q="%") == [] and _names(client, q="_") == [] and _names(client, q="\\") == []


def test_status_and_dates_narrow_the_search(client: TestClient) -> None:
    first = _book(client, "Ana Ruiz", "2027-03-11", "2027-03-13")
    _book(client, "Ana Belén", "2027-04-01", "2027-04-02")
    assert client.post(f"/api/v1/reservations/{first['id']}/cancel").status_code == 200
    assert _names(client, q="ana", status="cancelled") == ["Ana Ruiz"]
    assert _names(client, q="ana", status="booked") == ["Ana Belén"]
    assert _names(client, start="2027-03-12", end="2027-03-20") == ["Ana Ruiz"]  # a night on the 12th
    assert _names(client, start="2027-03-13", end="2027-03-31") == []  # departure day is not a night
    assert _names(client, start="2027-03-20") == ["Ana Belén"]


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"status": "gone"}, "status must be one of"),
        ({"start": "2027-03-20", "end": "2027-03-10"}, "before its start"),
    ],
)
def test_bad_criteria_are_problems(client: TestClient, params: dict[str, str], detail: str) -> None:
    r = client.get(FIND, params=params)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert detail in r.json()["detail"]


def test_oversize_text_and_limits_are_refused(client: TestClient) -> None:
    assert client.get(FIND, params={"q": "x" * 101}).status_code == 422
    assert client.get(FIND, params={"limit": "0"}).status_code == 422
    assert client.get(FIND, params={"limit": "201"}).status_code == 422
    assert client.get(FIND, params={"start": "yesterday"}).status_code == 422


def test_one_page_at_most(client: TestClient) -> None:
    for n in range(3):
        _book(client, f"Guest {n}", "2027-03-11", "2027-03-12")
    assert len(_names(client, q="guest", limit="2")) == 2


def test_other_properties_and_other_roles_are_refused(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    assert client.get("/api/v1/properties/nowhere/reservations").status_code == 403
    with client_for(sessions, clock=lambda: NOW, role=Role.HOUSEKEEPING) as housekeeping:
        assert housekeeping.get(FIND, params={"q": "ana"}).status_code == 403
        assert housekeeping.get("/reservations/search", params={"q": "ana"}).status_code == 403


def test_the_search_page_lists_matches_with_translated_status(client: TestClient) -> None:
    ana = _book(client, "Ana Ruiz", "2027-03-11", "2027-03-13")
    empty = client.get("/reservations/search")
    assert empty.status_code == 200 and 'role="search"' in empty.text
    assert "Reservations found" not in empty.text
    page = client.get("/reservations/search", params={"q": "ruiz"})
    assert page.status_code == 200 and f'href="/reservations/{ana["id"]}"' in page.text
    assert "Reservations found (1)" in page.text and ">booked<" in page.text
    none = client.get("/reservations/search", params={"q": "zzz"})
    assert "No reservation matches." in none.text
    bad = client.get("/reservations/search", params={"start": "13/03/2027"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text and "YYYY-MM-DD" in bad.text
