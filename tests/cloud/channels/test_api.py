"""The channel manager through the app: managers' API, the secret feeds, the OTA endpoint, the page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.roles import Role
from cloud.channels.ical.feed import read
from cloud.channels.ota import standin
from cloud.core.db import make_sessionmaker
from tests.cloud.channels.conftest import NOW, _template
from tests.cloud.reservations.apps import client_for
from tests.support.db import migrated_engine

BASE = "/api/v1/properties/hotel/channels"
# One app and database for the module (an app costs seconds here): tests keep to their own data.
pytestmark = pytest.mark.xdist_group("channels-api")


@pytest.fixture(scope="module")
def module_sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    path = tmp_path_factory.mktemp("channels-api") / "cloud.db"
    shutil.copyfile(_template()[0], path)
    engine = migrated_engine(f"sqlite:///{path}")
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def manager(module_sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POSADA_CHANNELS_ENABLED", "false")  # the test drives the queue, no sender thread
        with client_for(module_sessions, clock=lambda: NOW, role=Role.MANAGER) as client:
            yield client


@pytest.fixture(scope="module")
def created(manager: TestClient) -> dict[str, object]:
    answer = manager.post(
        BASE,
        json={"code": "expedia", "name": "Expedia", "kind": "ota", "hotel_code": "EXP-9", "markup_bp": 1500},
    )
    assert answer.status_code == 201, answer.text
    mapping = manager.put(
        f"{BASE}/expedia/mappings",
        json={"room_type": "std", "rate_plan": "flex", "room_code": "DBL", "rate_code": "BAR"},
    )
    assert mapping.status_code == 200, mapping.text
    body: dict[str, object] = answer.json()
    return body


def test_a_manager_creates_and_lists_channels(manager: TestClient, created: dict[str, object]) -> None:
    assert created["secret"] and created["feeds"] == []  # no mapping yet
    rotated = manager.post(f"{BASE}/expedia/secret").json()
    created["secret"], feeds = rotated["secret"], rotated["feeds"]
    assert any(f.endswith("/types/DBL.ics") for f in feeds) and any(
        f.endswith("/rooms/101.ics") for f in feeds
    )
    listed = {c["code"]: c for c in manager.get(BASE).json()}
    assert listed["expedia"]["markup_bp"] == 1500 and listed["expedia"]["mappings"][0]["room_code"] == "DBL"
    assert "secret" not in listed["expedia"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"code": "expedia", "name": "Again", "kind": "ota", "hotel_code": "X"}, 409),
        ({"code": "Bad Code", "name": "x", "kind": "ota"}, 422),
        ({"code": "x", "name": "x", "kind": "fax"}, 422),
        ({"code": "x", "name": "x", "kind": "ota", "markup_bp": -9000}, 422),
    ],
)
def test_bad_channels_are_refused(
    manager: TestClient, created: dict[str, object], body: dict[str, object], status: int
) -> None:
    assert manager.post(BASE, json=body).status_code == status


def test_a_mapping_to_an_unknown_room_type_is_refused(
    manager: TestClient, created: dict[str, object]
) -> None:
    answer = manager.put(
        f"{BASE}/expedia/mappings",
        json={"room_type": "penthouse", "rate_plan": "flex", "room_code": "PH", "rate_code": "BAR"},
    )
    assert answer.status_code == 422 and "penthouse" in answer.text


def test_the_front_desk_cannot_manage_channels(module_sessions: sessionmaker[Session]) -> None:
    with client_for(module_sessions, clock=lambda: NOW, role=Role.FRONT_DESK) as desk:
        assert desk.get(BASE).status_code == 403


def test_feeds_export_what_cannot_be_sold_and_a_rotated_secret_revokes_them(
    manager: TestClient, created: dict[str, object], module_sessions: sessionmaker[Session]
) -> None:
    feed_path = f"/channels/ical/{created['secret']}/rooms/101.ics"
    with module_sessions.begin() as session:
        from cloud.catalog import service as catalog
        from cloud.core.nights import Stay
        from cloud.reservations.sales import rooms_inventory

        room = catalog.room_by_slug(session, catalog.get_property(session, "hotel"), "101")
        rooms_inventory.put_out_of_order(session, room, stay=Stay(date(2027, 3, 20), date(2027, 3, 23)))
    answer = manager.get(feed_path)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    holds = list(read(answer.content, default_zone="Europe/Madrid").values())
    assert [(h.arrival, h.departure) for h in holds] == [(date(2027, 3, 20), date(2027, 3, 23))]
    type_feed = manager.get(feed_path.replace("/rooms/101.ics", "/types/DBL.ics"))
    assert type_feed.status_code == 200 and b"X-WR-TIMEZONE:Europe/Madrid" in type_feed.content
    rotated = manager.post(f"{BASE}/expedia/secret")
    assert rotated.status_code == 200
    assert manager.get(feed_path).status_code == 404
    created["secret"] = rotated.json()["secret"]  # the module's later tests use the new one
    assert manager.get(feed_path.replace("101", "999")).status_code == 404


def test_the_ota_endpoint_stores_and_answers(manager: TestClient, created: dict[str, object]) -> None:
    doc = standin.reservation(
        hotel_code="EXP-9",
        confirmation="E-1",
        room_code="DBL",
        rate_code="BAR",
        arrival=date(2027, 3, 10),
        departure=date(2027, 3, 11),
        total="103.50",
    )
    answer = manager.post(
        "/api/v1/channels/ota/reservations",
        content=doc,
        headers={"Authorization": f"Bearer {created['secret']}", "Content-Type": "application/xml"},
    )
    assert answer.status_code == 200, answer.text
    root = etree.fromstring(answer.content)
    assert root.find("{*}Success") is not None
    ours = {i.get("ResID_Type"): i.get("ResID_Value") for i in root.iter("{*}HotelReservationID")}
    page = manager.get(f"/reservations/{ours['14']}")
    assert page.status_code == 200 and "Expedia" in page.text and "E-1" in page.text
    listed = manager.get("/api/v1/properties/hotel/channel-reservations").json()
    assert listed[0]["confirmation"] == "E-1" and listed[0]["reservation_id"] == ours["14"]
    refused = manager.post(
        "/api/v1/channels/ota/reservations", content=doc, headers={"Authorization": "Bearer wrong"}
    )
    assert refused.status_code == 401


def test_an_oversize_reservation_document_is_refused(manager: TestClient, created: dict[str, object]) -> None:
    answer = manager.post(
        "/api/v1/channels/ota/reservations",
        content=b" " * 1_000_001,
        headers={"Authorization": f"Bearer {created['secret']}"},
    )
    assert answer.status_code == 413


def test_resync_queues_every_kind_of_every_mapping(manager: TestClient, created: dict[str, object]) -> None:
    assert manager.post(f"{BASE}/expedia/resync").json() == {"queued": 4}  # one type: 4 kinds
    messages = manager.get(f"{BASE}/expedia/messages").json()
    assert {m["kind"] for m in messages} == {"availability", "restrictions", "rates", "counts"}


@pytest.mark.parametrize(
    ("language", "words"), [("en", "Resync now"), ("es", "Sincronizar ahora"), ("zh-Hans", "立即同步")]
)
def test_the_channel_page_shows_in_three_languages(
    manager: TestClient, created: dict[str, object], language: str, words: str
) -> None:
    page = manager.get("/channels/hotel", headers={"Accept-Language": language})
    assert page.status_code == 200 and words in page.text and "EXP-9" in page.text


def test_an_overbooking_is_on_the_page_with_what_to_do(
    manager: TestClient, created: dict[str, object], module_sessions: sessionmaker[Session]
) -> None:
    from cloud.catalog.models import Restriction

    with module_sessions.begin() as session:  # the night is closed: the channel sold what we do not sell
        session.add(Restriction(property_id=1, start=date(2027, 4, 1), end=date(2027, 4, 2), stop_sell=True))
    doc = standin.reservation(
        hotel_code="EXP-9",
        confirmation="E-OVER",
        room_code="DBL",
        rate_code="BAR",
        arrival=date(2027, 4, 1),
        departure=date(2027, 4, 2),
        total="90.00",
    )
    answer = manager.post(
        "/api/v1/channels/ota/reservations",
        content=doc,
        headers={"Authorization": f"Bearer {created['secret']}"},
    )
    assert answer.status_code == 200 and b"Success" in answer.content
    page = manager.get("/channels/hotel")
    assert "E-OVER" in page.text and "relocate the guest" in page.text and "stop sell" in page.text
    listed = manager.get("/api/v1/properties/hotel/channel-reservations?overbooked=true").json()
    assert [r["confirmation"] for r in listed] == ["E-OVER"]


def test_credentials_are_kept_sealed_and_never_answered_back(
    manager: TestClient, module_sessions: sessionmaker[Session]
) -> None:
    creds = {
        "requestor_id": "CM-77",
        "message_password": "pw-s3cret-9",
        "username": "posada",
        "password": "b4sic-pw",
    }
    answer = manager.post(
        BASE,
        json={"code": "agoda", "name": "Agoda", "kind": "ota", "hotel_code": "AG-1", "credentials": creds},
    )
    assert answer.status_code == 201, answer.text
    assert "pw-s3cret-9" not in answer.text and "b4sic-pw" not in answer.text
    assert answer.json()["credentials"] == ["requestor CM-77", "message password", "basic posada"]
    with module_sessions() as session:
        raw = session.execute(text("SELECT credentials_enc FROM channels WHERE code = 'agoda'")).scalar()
        assert raw and "pw-s3cret-9" not in raw  # sealed at rest
    changed = manager.patch(f"{BASE}/agoda", json={"credentials": {"token": "bearer-token-123"}})
    assert changed.status_code == 200 and changed.json()["credentials"] == ["bearer token"]
    cleared = manager.patch(f"{BASE}/agoda", json={"credentials": None})
    assert cleared.json()["credentials"] == []


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "only-user"},
        {"message_password": "no-requestor"},
        {"requestor_id": "has space"},
        {"username": "a:b", "password": "x"},
        {"token": "short"},
        {"password": "line\nbreak", "username": "u"},
        {"requestor_id": "CM", "unknown": "field"},
    ],
)
def test_bad_credentials_are_refused_and_nothing_is_stored(
    manager: TestClient, credentials: dict[str, str]
) -> None:
    answer = manager.post(
        BASE,
        json={
            "code": "badcreds",
            "name": "X",
            "kind": "ota",
            "hotel_code": "X-1",
            "credentials": credentials,
        },
    )
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("application/problem+json")
    assert "badcreds" not in {c["code"] for c in manager.get(BASE).json()}


def test_a_mapping_prices_each_occupancy(manager: TestClient, created: dict[str, object]) -> None:
    body = {
        "room_type": "sup",
        "rate_plan": "flex",
        "room_code": "SUP2",
        "rate_code": "BAR",
        "occupancy_bp": {"1": -1500},
    }
    answer = manager.put(f"{BASE}/expedia/mappings", json=body)
    assert answer.status_code == 200 and answer.json()["occupancy_bp"] == {"1": -1500}
    bad = manager.put(f"{BASE}/expedia/mappings", json={**body, "occupancy_bp": {"0": 5}})
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("requestor CM-88", "message password", "HTTP Basic as desk")),
        ("es", ("solicitante CM-88", "contraseña de mensaje", "HTTP Basic como desk")),
        ("zh-Hans", ("请求方 CM-88", "消息密码", "HTTP Basic 用户 desk")),
    ],
)
def test_the_credentials_on_the_page_are_worded_in_three_languages(
    manager: TestClient, language: str, words: tuple[str, ...]
) -> None:
    creds = {"requestor_id": "CM-88", "message_password": "pw-8", "username": "desk", "password": "pw-9"}
    if "trip" not in {c["code"] for c in manager.get(BASE).json()}:
        made = manager.post(
            BASE,
            json={"code": "trip", "name": "Trip", "kind": "ota", "hotel_code": "TR-1", "credentials": creds},
        )
        assert made.status_code == 201, made.text
    page = manager.get("/channels/hotel", headers={"Accept-Language": language}).text
    section = page[page.index('id="channel-trip"') :]
    credentials = section[section.index('class="credentials"') :]
    credentials = credentials[: credentials.index("</p>")]
    assert all(w in credentials for w in words), credentials
    assert "pw-8" not in page and "pw-9" not in page


def test_a_channel_s_stay_is_charged_at_its_price_with_ours_beside_it_on_the_page(
    manager: TestClient, created: dict[str, object]
) -> None:
    doc = standin.reservation(
        hotel_code="EXP-9",
        confirmation="E-PRICED",
        rooms=(
            standin.Room(
                "DBL", "BAR", date(2027, 5, 3), date(2027, 5, 5), before_tax="250.00", after_tax="275.00"
            ),
        ),
    )
    answer = manager.post(
        "/api/v1/channels/ota/reservations",
        content=doc,
        headers={"Authorization": f"Bearer {created['secret']}"},
    )
    assert answer.status_code == 200 and b"Success" in answer.content, answer.text
    [row] = [
        r
        for r in manager.get("/api/v1/properties/hotel/channel-reservations").json()
        if r["confirmation"] == "E-PRICED"
    ]
    assert row["folio_minor"] == 25000 and row["ours_minor"] is not None  # the property prices before tax
    assert row["difference_minor"] == 25000 - row["ours_minor"]
    page = manager.get("/channels/hotel").text
    line = page[page.index("E-PRICED") :]
    line = line[: line.index("</tr>")]
    assert 'class="channel-price"' in line and 'class="our-price"' in line and "250" in line
