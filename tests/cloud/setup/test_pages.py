"""The portal's set-up pages: who may use them, forms refused whole with every problem shown,
a diff before removals, ranges and imports, and nothing half applied."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cloud.auth.models import AuditEntry
from cloud.board.models import Gateway
from cloud.catalog.models import Floor, Property, Room
from cloud.setup import service
from cloud.setup.editing import fingerprint
from cloud.setup.formats import dumps
from mqtt.credentials import PBKDF2_ITERATIONS
from mqtt.envelope import utcnow
from tests.cloud.auth.portal_app import PortalApp, csrf_of, fast_auth_env, portal_app

PROPERTY = {
    "site": "hotel",
    "number": "12",
    "name": "Hotel Sol",
    "time_zone": "Europe/Madrid",
    "currency": "EUR",
}


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> Iterator[PortalApp]:
    fast_auth_env(monkeypatch)
    with portal_app(sqlite_url) as app:
        yield app


def signed_in(portal: PortalApp, username: str) -> TestClient:
    client = portal.client()
    portal.sign_in(client, username)
    return client


def post(client: TestClient, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
    token = csrf_of(client, "/setup")
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False, **kwargs)


@pytest.fixture
def admin(portal: PortalApp) -> TestClient:
    """The chain administrator, with property 'hotel' created from the set-up index."""
    client = signed_in(portal, "chain-admin")
    made = post(client, "/setup", PROPERTY)
    assert made.status_code == 303 and made.headers["location"] == "/setup/hotel/property", made.text
    return client


def count(portal: PortalApp, model: Any) -> int:
    with portal.auth.sessionmaker() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def floor(client: TestClient, floor_id: str, level: int) -> Any:
    return post(client, "/setup/hotel/floors/new", {"f_id": floor_id, "f_level": str(level), "f_name": ""})


def room_type(client: TestClient, code: str = "dbl") -> Any:
    return post(
        client,
        "/setup/hotel/room_types",
        {
            "op": "save",
            "key": "",
            "f_code": code,
            "f_name_en": "Double",
            "f_name_zh": "双人间",
            "f_max_guests": "2",
            "f_rank": "1",
        },
    )


def review_document(page: str) -> dict[str, str]:
    """The hidden fields of a review page's confirm form."""
    form = page[page.index('id="confirm-form"') :]
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'name="(document|base|back)" value="([^"]*)"', form)
    }


def test_the_chain_administrator_creates_a_property_and_its_manager_sets_it_up(
    portal: PortalApp, admin: TestClient
) -> None:
    manager = signed_in(portal, "manager-hotel")
    page = manager.get("/setup/hotel/property")
    assert (
        page.status_code == 200 and "Hotel Sol" in page.text and 'name="f_currency" value="EUR"' in page.text
    )
    changed = post(
        manager,
        "/setup/hotel/property",
        {
            "op": "save",
            "f_name": "Hotel Sol y Mar",
            "f_legal_name": "Sol y Mar S.L.",
            "f_tax_ids": "B12345678",
            "f_time_zone": "Europe/Madrid",
            "f_currency": "EUR",
            "f_language": "es",
            "f_check_in_from": "14:00",
            "f_check_in_until": "23:00",
            "f_checkout_at": "11:00",
            "f_latest_checkout_at": "14:00",
            "f_late_checkout_hourly_minor": "12.50",
            "f_invoice_series": "SYM",
        },
    )
    assert changed.status_code == 200 and 'id="applied"' in changed.text
    with portal.auth.sessionmaker() as session:
        doc = service.export(session, "hotel")
    assert doc.property.name == "Hotel Sol y Mar" and doc.property.tax_ids == ("B12345678",)
    assert doc.property.late_checkout_hourly_minor == 1250 and doc.property.invoice_series == "SYM"
    assert doc.property.chain == "acme" and doc.property.number == 12  # what the form does not show stays


@pytest.mark.parametrize("username", ["front_desk-hotel", "housekeeping-hotel", "maintenance-hotel"])
def test_other_roles_get_the_forbidden_page(portal: PortalApp, admin: TestClient, username: str) -> None:
    client = signed_in(portal, username)
    page = client.get("/setup/hotel/rooms")
    assert page.status_code == 403 and "f_number" not in page.text
    token = csrf_of(client, "/")
    refused = client.post("/setup/hotel/floors/new", data={"f_id": "f9", "f_level": "9", "csrf_token": token})
    assert refused.status_code == 403 and count(portal, Floor) == 0


def test_a_manager_of_another_property_is_refused(portal: PortalApp, admin: TestClient) -> None:
    assert signed_in(portal, "manager-annex").get("/setup/hotel/property").status_code == 403
    assert "new-property" not in signed_in(portal, "manager-annex").get("/setup").text  # administrators only


def test_anonymous_visitor_is_sent_to_sign_in(portal: PortalApp) -> None:
    page = portal.client().get("/setup/hotel/property", follow_redirects=False)
    assert page.status_code in (302, 303, 307) and "/signin" in page.headers["location"]


def test_a_form_without_its_csrf_token_is_refused(portal: PortalApp, admin: TestClient) -> None:
    refused = admin.post("/setup/hotel/floors/new", data={"f_id": "f1", "f_level": "1"})
    assert refused.status_code == 403 and count(portal, Floor) == 0


def test_bad_property_values_are_all_listed_and_nothing_is_applied(
    portal: PortalApp, admin: TestClient
) -> None:
    page = post(
        admin,
        "/setup/hotel/property",
        {
            "op": "save",
            "f_name": "Changed",
            "f_time_zone": "Mars/Olympus",
            "f_currency": "XXY",
            "f_language": "en",
            "f_check_in_from": "25:00",
            "f_check_in_until": "23:00",
            "f_checkout_at": "11:00",
            "f_latest_checkout_at": "14:00",
            "f_late_checkout_hourly_minor": "1.234",
        },
    )
    assert page.status_code == 422
    text = html.unescape(page.text)
    assert "property.check_in_from" in text and "property.late_checkout_hourly_minor" in text
    assert 'value="Changed"' in text  # the form keeps what was sent, to correct it
    with portal.auth.sessionmaker() as session:
        assert session.scalar(select(Property.name)) == "Hotel Sol"
    fixed = post(
        admin,
        "/setup/hotel/property",
        {
            "op": "save",
            "f_name": "Changed",
            "f_time_zone": "Mars/Olympus",
            "f_currency": "XXY",
            "f_language": "en",
            "f_check_in_from": "15:00",
            "f_check_in_until": "23:00",
            "f_checkout_at": "11:00",
            "f_latest_checkout_at": "14:00",
            "f_late_checkout_hourly_minor": "0",
        },
    )
    text = html.unescape(fixed.text)
    assert fixed.status_code == 422 and "Mars/Olympus" in text and "XXY" in text  # zone and currency, both


def test_a_new_floor_shows_its_gateway_credentials_once(portal: PortalApp, admin: TestClient) -> None:
    page = floor(admin, "f2", 2)
    assert page.status_code == 200, page.text
    user = re.search(r'id="mqtt-username">([^<]+)<', page.text)
    password = re.search(r'id="mqtt-password">([^<]+)<', page.text)
    line = re.search(r'id="passwd-line">([^<]+)<', page.text)
    assert user and password and line and user.group(1) == "gw.hotel.f2"
    name, hashed = html.unescape(line.group(1)).split(":", 1)
    _, seven, iterations, salt, digest = hashed.split("$")
    expected = hashlib.pbkdf2_hmac(
        "sha512", html.unescape(password.group(1)).encode(), base64.b64decode(salt), PBKDF2_ITERATIONS
    )
    assert (name, seven, int(iterations)) == ("gw.hotel.f2", "7", PBKDF2_ITERATIONS)
    assert base64.b64decode(digest) == expected
    assert "topic write posada/v1/hotel/f2/events" in page.text
    again = admin.get("/setup/hotel/floors").text
    assert "mqtt-password" not in again and "never connected" in again
    with portal.auth.sessionmaker.begin() as session:
        session.add(Gateway(site="hotel", floor="f2", state="online", last_seen=utcnow()))
    assert 'class="gateway online"' in admin.get("/setup/hotel/floors").text
    assert floor(admin, "f2", 3).status_code == 422 and count(portal, Floor) == 1  # exists: no new password


def test_a_range_of_rooms_is_reviewed_then_applied(portal: PortalApp, admin: TestClient) -> None:
    floor(admin, "f2", 2)
    assert room_type(admin).status_code == 200
    review = post(
        admin, "/setup/hotel/rooms/range", {"first": "201", "last": "220", "floor": "f2", "type": "dbl"}
    )
    assert review.status_code == 200 and review.text.count('class="diff-create"') == 20
    assert count(portal, Room) == 0  # nothing before the confirmation
    applied = post(admin, "/setup/hotel/apply", review_document(review.text))
    assert applied.status_code == 200 and 'id="applied"' in applied.text and count(portal, Room) == 20
    with portal.auth.sessionmaker() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "setup.apply")).all()
        assert len(entries[-1].detail["changes"]) == 20


def test_a_range_on_a_floor_that_does_not_exist_is_refused_whole(
    portal: PortalApp, admin: TestClient
) -> None:
    floor(admin, "f2", 2)
    room_type(admin)
    refused = post(
        admin, "/setup/hotel/rooms/range", {"first": "301", "last": "305", "floor": "f3", "type": "dbl"}
    )
    assert refused.status_code == 422 and "no floor" in html.unescape(refused.text)
    backwards = post(
        admin, "/setup/hotel/rooms/range", {"first": "310", "last": "301", "floor": "f2", "type": "dbl"}
    )
    assert backwards.status_code == 422 and "after the last" in backwards.text
    assert count(portal, Room) == 0


def test_a_review_applied_after_the_property_changed_is_refused(portal: PortalApp, admin: TestClient) -> None:
    floor(admin, "f2", 2)
    room_type(admin)
    review = post(
        admin, "/setup/hotel/rooms/range", {"first": "201", "last": "202", "floor": "f2", "type": "dbl"}
    )
    floor(admin, "f3", 3)  # meanwhile
    stale = post(admin, "/setup/hotel/apply", review_document(review.text))
    assert stale.status_code == 422 and "review again" in stale.text and count(portal, Room) == 0
    assert count(portal, Floor) == 2  # the floor added meanwhile was not undone


def test_a_forged_review_cannot_move_the_property_to_another_chain(
    portal: PortalApp, admin: TestClient
) -> None:
    with portal.auth.sessionmaker() as session:
        doc = service.export(session, "hotel")
    forged = dumps(doc, "json").replace('"chain": "acme"', '"chain": "other"')
    refused = post(
        admin, "/setup/hotel/apply", {"document": forged, "base": fingerprint(doc), "back": "property"}
    )
    assert refused.status_code == 422 and "property.chain" in refused.text
    with portal.auth.sessionmaker() as session:
        assert service.export(session, "hotel").property.chain == "acme"


def test_removing_an_item_shows_the_diff_first(portal: PortalApp, admin: TestClient) -> None:
    floor(admin, "f2", 2)
    review = post(admin, "/setup/hotel/floors", {"op": "remove", "key": "f2"})
    assert review.status_code == 200 and 'class="diff-delete"' in review.text and count(portal, Floor) == 1
    post(admin, "/setup/hotel/apply", review_document(review.text))
    assert count(portal, Floor) == 0


def test_an_item_form_with_unreadable_numbers_lists_them(portal: PortalApp, admin: TestClient) -> None:
    floor(admin, "f2", 2)
    room_type(admin)
    page = post(
        admin,
        "/setup/hotel/rooms",
        {
            "op": "save",
            "key": "",
            "f_id": "201",
            "f_number": "two",
            "f_floor": "f2",
            "f_type": "dbl",
            "f_retired_from": "tomorrow",
        },
    )
    text = html.unescape(page.text)
    assert page.status_code == 422 and "rooms.number: not a whole number" in re.sub(r"<[^>]+>", "", text)
    assert "rooms.retired_from" in text and count(portal, Room) == 0


def test_import_shows_the_diff_and_a_non_utf8_file_is_refused(portal: PortalApp, admin: TestClient) -> None:
    token = csrf_of(admin, "/setup/hotel/document")
    bad = admin.post(
        "/setup/hotel/document",
        data={"csrf_token": token},
        files={"file": ("hotel.yaml", "name: Caf\xe9".encode("latin-1"), "application/yaml")},
    )
    assert bad.status_code == 422 and "not UTF-8" in bad.text
    with portal.auth.sessionmaker() as session:
        doc = service.export(session, "hotel")
    text = dumps(doc, "yaml") + "floors:\n- {id: f1, level: 1}\n- {id: f2, level: 2}\n"
    review = admin.post(
        "/setup/hotel/document",
        data={"csrf_token": token},
        files={"file": ("hotel.yaml", text.encode(), "application/yaml")},
    )
    assert review.status_code == 200 and review.text.count('class="diff-create"') == 2
    post(admin, "/setup/hotel/apply", review_document(review.text))
    assert count(portal, Floor) == 2
    download = admin.get("/setup/hotel/document.yaml")
    assert download.status_code == 200 and "id: f2" in download.text
    assert "attachment" in download.headers["content-disposition"]


def test_the_calendar_shows_each_nights_price_and_restrictions(portal: PortalApp, admin: TestClient) -> None:
    room_type(admin)
    post(
        admin,
        "/setup/hotel/rate_plans",
        {
            "op": "save",
            "f_code": "bar",
            "f_name": "Best rate",
            "f_refundable": "on",
            "f_free_cancel_hours": "24",
            "f_cancel_fee_nights": "1",
            "f_deposit": "none",
            "f_deposit_percent": "0",
            "f_min_stay": "1",
            "f_meals": "none",
        },
    )
    for season in (
        {"f_amount_minor": "80"},
        {"f_from": "2027-07-01", "f_until": "2027-09-01", "f_amount_minor": "120"},
    ):
        saved = post(admin, "/setup/hotel/prices", {"op": "save", "f_plan": "bar", "f_type": "dbl", **season})
        assert saved.status_code == 200, saved.text
    post(
        admin,
        "/setup/hotel/restrictions",
        {"op": "save", "f_from": "2027-07-10", "f_until": "2027-07-11", "f_closed_to_arrival": "on"},
    )
    page = admin.get("/setup/hotel/calendar", params={"plan": "bar", "month": "2027-06"}).text
    june30 = page[page.index('data-day="2027-06-30"') :]
    july1 = page[page.index('data-day="2027-07-01"') :]
    july = admin.get("/setup/hotel/calendar", params={"plan": "bar", "month": "2027-07"}).text
    july10 = july[july.index('data-day="2027-07-10"') :].split("</td>")[0]
    assert "80.00" in june30.split("</td>")[0] and "120.00" in july1.split("</td>")[0]
    assert "no arrivals" in july10


def test_out_of_order_over_booked_nights_is_refused_with_the_stays_to_move(
    portal: PortalApp, admin: TestClient
) -> None:
    floor(admin, "f2", 2)
    room_type(admin)
    post(
        admin,
        "/setup/hotel/rooms",
        {"op": "save", "f_id": "201", "f_number": "201", "f_floor": "f2", "f_type": "dbl"},
    )
    post(
        admin,
        "/setup/hotel/rate_plans",
        {
            "op": "save",
            "f_code": "bar",
            "f_name": "Best rate",
            "f_free_cancel_hours": "24",
            "f_cancel_fee_nights": "1",
            "f_deposit": "none",
            "f_deposit_percent": "0",
            "f_min_stay": "1",
            "f_meals": "none",
        },
    )
    post(
        admin, "/setup/hotel/prices", {"op": "save", "f_plan": "bar", "f_type": "dbl", "f_amount_minor": "90"}
    )
    arrival = datetime.now(ZoneInfo("Europe/Madrid")).date() + timedelta(days=10)
    token = csrf_of(admin, "/setup")
    booked = admin.post(
        "/api/v1/properties/hotel/reservations",
        headers={"X-CSRF-Token": token},
        json={
            "room_type": "dbl",
            "rate_plan": "bar",
            "arrival": arrival.isoformat(),
            "departure": (arrival + timedelta(days=2)).isoformat(),
            "guest_name": "Rosa Díaz",
        },
    )
    assert booked.status_code == 201, booked.text
    refused = post(
        admin,
        "/setup/hotel/out_of_order",
        {
            "op": "save",
            "f_room": "201",
            "f_from": (arrival + timedelta(days=1)).isoformat(),
            "f_until": (arrival + timedelta(days=3)).isoformat(),
            "f_note": "paint",
        },
    )
    text = html.unescape(refused.text)
    assert refused.status_code == 422 and "move them first" in text and booked.json()["id"] in text
    with portal.auth.sessionmaker() as session:
        assert service.export(session, "hotel").out_of_order == ()
    later = post(
        admin,
        "/setup/hotel/out_of_order",
        {
            "op": "save",
            "f_room": "201",
            "f_from": (arrival + timedelta(days=2)).isoformat(),
            "f_until": (arrival + timedelta(days=4)).isoformat(),
            "f_note": "paint",
        },
    )
    assert later.status_code == 200 and 'id="applied"' in later.text


def test_a_refused_price_form_keeps_every_weekday_ticked(portal: PortalApp, admin: TestClient) -> None:
    token = csrf_of(admin, "/setup")
    page = admin.post(
        "/setup/hotel/prices",
        data={
            "csrf_token": token,
            "op": "save",
            "f_plan": "bar",
            "f_type": "dbl",
            "f_weekdays": ["fri", "sat"],
            "f_amount_minor": "95",
        },
    )
    assert page.status_code == 422 and "no rate plan" in html.unescape(page.text)
    assert 'value="fri" checked' in page.text and 'value="sat" checked' in page.text
    assert 'value="sun" checked' not in page.text
