"""The hotel of 3 floors, 60 rooms, 4 types and 3 plans set up from its file, then sold through the
API: priced by its seasons, refused by its restrictions, taxed by its taxes, on its floors."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.models import AuditEntry, PropertyScope
from cloud.auth.roles import Role
from cloud.catalog.models import Floor, Property, Room
from cloud.setup import service
from cloud.setup.formats import dumps
from cloud.setup.parsing import parse
from tests.cloud.reservations.apps import client_for
from tests.cloud.setup.conftest import HOTEL_FILE, NOW, SITE


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def desk(hotel: sessionmaker[Session], clock: Clock) -> Iterator[TestClient]:
    with client_for(hotel, clock=clock, role=Role.FRONT_DESK, site=SITE) as client:
        yield client


def _book(client: TestClient, **changes: Any) -> Any:
    body = {
        "room_type": "dbl",
        "rate_plan": "bar",
        "arrival": "2027-06-29",
        "departure": "2027-07-02",
        "adults": 2,
        "guest_name": "Rosa Díaz",
        **changes,
    }
    return client.post(f"/api/v1/properties/{SITE}/reservations", json=body)


def _offers(client: TestClient, arrival: str, departure: str) -> dict[tuple[str, str], Any]:
    r = client.get(
        f"/api/v1/properties/{SITE}/availability",
        params={"arrival": arrival, "departure": departure, "adults": 1},
    )
    assert r.status_code == 200, r.text
    return {(o["room_type"], o["rate_plan"]): o for o in r.json()}


def test_the_file_sets_up_every_floor_room_and_the_staff_scope(hotel: sessionmaker[Session]) -> None:
    with hotel() as s:
        prop = s.scalar(select(Property).where(Property.slug == SITE))
        assert prop is not None and prop.currency == "MXN" and prop.invoice_series == "CAZ"
        floors = {f.id: f.slug for f in s.scalars(select(Floor).where(Floor.property_id == prop.id))}
        rooms = list(s.scalars(select(Room).where(Room.property_id == prop.id)))
        assert sorted(floors.values()) == ["p1", "p2", "p3"] and len(rooms) == 60
        assert {floors[r.floor_id] for r in rooms if r.number // 100 == 2} == {"p2"}
        scope = s.get(PropertyScope, SITE)
        assert (
            scope is not None and scope.chain == "azul-hoteles" and scope.time_zone == "America/Mexico_City"
        )
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "setup.apply")).one()
        assert entry.entity_id == SITE and entry.actor == "test"
        assert len(entry.detail["changes"]) == 1 + 3 + 4 + 3 + 2 + 60 + 5 + 36 + 4 + 2 + 1 + 1


def test_export_then_import_changes_nothing(hotel: sessionmaker[Session]) -> None:
    with hotel.begin() as s:
        exported = service.export(s, SITE, now=NOW)
        assert service.plan(s, parse(HOTEL_FILE.read_bytes()), now=NOW).empty
        assert service.apply(s, exported, "test", now=NOW).empty
        again = parse(dumps(exported, "yaml").encode())
        assert again == exported and service.apply(s, again, "test", now=NOW).empty
        assert len(s.scalars(select(AuditEntry).where(AuditEntry.action == "setup.apply")).all()) == 1


def test_a_booking_is_priced_by_the_seasons_and_its_rooms_are_on_the_floors(desk: TestClient) -> None:
    low_to_high = _book(desk)
    assert low_to_high.status_code == 201, low_to_high.text
    res = low_to_high.json()
    assert [n["amount_minor"] for n in res["nights"]] == [8000, 8000, 12000]  # June low, July high
    assert res["total_minor"] == 28000 and res["deposit_required_minor"] == 8000
    assert res["rooms"][0]["floor"] in ("p1", "p2", "p3")
    breakfast = _offers(desk, "2027-09-05", "2027-09-07")[("dbl", "bb")]
    assert [n["amount_minor"] for n in breakfast["nights"]] == [9500, 9500]  # low again, breakfast included


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"rate_plan": "nonref", "arrival": "2027-07-10", "departure": "2027-07-12"}, "at least 3 nights"),
        ({"arrival": "2027-08-14", "departure": "2027-08-17"}, "closed to arrival on 2027-08-14"),
        ({"room_type": "ste", "arrival": "2027-12-23", "departure": "2027-12-26"}, "stop sell"),
        ({"arrival": "2027-10-01", "departure": "2027-10-17"}, "14 nights at most"),
    ],
)
def test_a_restriction_refuses_the_booking_and_availability_says_why(
    desk: TestClient, changes: dict[str, str], reason: str
) -> None:
    refused = _book(desk, **changes)
    assert refused.status_code == 422, refused.text
    assert (
        refused.json()["type"] == "/problems/reservations/restricted" and reason in refused.json()["detail"]
    )
    offer = _offers(desk, changes["arrival"], changes["departure"])[
        (changes.get("room_type", "dbl"), changes.get("rate_plan", "bar"))
    ]
    assert reason in offer["unavailable"]


def test_the_stay_is_invoiced_with_the_property_taxes_legal_name_and_series(
    desk: TestClient, clock: Clock
) -> None:
    res = _book(desk, arrival="2027-03-10", departure="2027-03-12").json()
    clock.now = datetime(2027, 3, 10, 22, 0, tzinfo=UTC)
    assert desk.post(f"/api/v1/reservations/{res['id']}/check-in").status_code == 200
    folio = desk.get(f"/api/v1/reservations/{res['id']}/folio").json()
    nights = [c for c in folio["charges"] if c["kind"] == "room_night"]
    assert [(c["net_minor"], c["taxes"], c["gross_minor"]) for c in nights] == [
        (8000, {"IVA": 1280, "ISH": 280}, 9560)
    ] * 2  # 16% IVA and 3.5% lodging tax, prices without tax
    minibar = {
        "kind": "minibar",
        "description": "Agua",
        "quantity": 1,
        "unit_price": {"amount": "50.00", "currency": "MXN"},
    }
    posted = desk.post(
        f"/api/v1/folios/{folio['id']}/charges", json=minibar, headers={"Idempotency-Key": uuid.uuid4().hex}
    )
    assert posted.status_code == 201, posted.text
    extra = [c for c in posted.json()["folio"]["charges"] if c["kind"] == "minibar"]
    assert extra[0]["taxes"] == {"IVA": 800}  # food is not lodging: no lodging tax
    owed = desk.get(f"/api/v1/reservations/{res['id']}/folio").json()["balances"]["guest"]["minor"]
    paid = desk.post(
        f"/api/v1/folios/{folio['id']}/payments",
        headers={"Idempotency-Key": uuid.uuid4().hex},
        json={
            "amount": {"amount": f"{owed // 100}.{owed % 100:02d}", "currency": "MXN"},
            "method": "cash",
            "stage": "check_out",
        },
    )
    assert paid.status_code == 201, paid.text
    clock.now = datetime(2027, 3, 12, 16, 0, tzinfo=UTC)
    done = desk.post(f"/api/v1/reservations/{res['id']}/check-out", json={"invoice": True})
    assert done.status_code == 200, done.text
    invoice = desk.get(f"/api/v1/invoices/{done.json()['invoice_id']}").json()
    assert invoice["number"].startswith("CAZ-") and invoice["taxes"] == {"IVA": 1280 * 2 + 800, "ISH": 560}
    assert invoice["total_minor"] == 2 * 9560 + 5800
