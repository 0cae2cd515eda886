"""Extras on the booking page: services of the property's catalogue a manager offers when booking,
priced per stay, night or night and guest, charged to the folio with the booking (and in the
whole-stay payment), refused whole when not offered, and taken off the folio if the hold ends."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.roles import Role
from cloud.billing.folio import Payer
from cloud.billing.models import Charge
from cloud.billing.service import balances
from cloud.billing.settings import BillingSettings
from cloud.billing.stay_ledger import folio_of
from cloud.guestweb.booking import release_due
from cloud.guestweb.models import BookedExtra, GuestHold
from cloud.reservations.models import Reservation
from cloud.reservations.sales import cancellation
from tests.cloud.guestweb.conftest import Clock
from tests.cloud.guestweb.test_pages import details_form
from tests.cloud.reservations.apps import client_for
from tests.cloud.reservations.conftest import NOW

BREAKFAST = {"code": "breakfast", "department": "food", "names": {"en": "Breakfast", "es": "Desayuno"},
             "price_minor": 1200, "charge_kind": "restaurant", "promise_minutes": 30}
PARKING = {"code": "parking", "department": "concierge", "names": {"en": "Parking"}, "price_minor": 1500,
           "charge_kind": "transport", "promise_minutes": 10}


def _offer(sessions: sessionmaker[Session], clock: Clock) -> None:
    with client_for(sessions, clock=clock, role=Role.MANAGER) as manager:
        for kind, per in ((BREAKFAST, "night_person"), (PARKING, "night")):
            assert manager.post("/api/v1/properties/hotel/service-types", json=kind).status_code == 201
            offered = manager.put(f"/api/v1/guest/properties/hotel/extras/{kind['code']}", json={"per": per})
            assert offered.status_code == 200, offered.text
        extras = "/api/v1/guest/properties/hotel/extras"
        assert manager.put(f"{extras}/spa", json={"per": "night"}).status_code == 404
        assert manager.put("/api/v1/guest/properties/hotel/extras/parking",
                           json={"per": "hour"}).status_code == 422
        assert [e["code"] for e in manager.get("/api/v1/guest/properties/hotel/extras").json()] == [
            "parking", "breakfast"]  # by department (concierge, food)
    with client_for(sessions, clock=clock, role=Role.FRONT_DESK) as desk:
        assert desk.put("/api/v1/guest/properties/hotel/extras/parking",
                        json={"per": "night"}).status_code == 403


def test_extras_are_offered_priced_charged_with_the_booking_and_taken_off_when_the_hold_ends(
    client: TestClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    _offer(sessions, clock)
    page = client.get("/guest/hotel/book", params={"arrival": "2027-03-11", "departure": "2027-03-14",
                                                   "adults": "2", "room_type": "std", "rate_plan": "flex",
                                                   "lang": "es"})
    assert 'data-extra="breakfast"' in page.text and "Desayuno" in page.text
    assert "72,00\xa0€" in page.text  # 3 nights x 2 guests x 12.00
    form = {**details_form(client), "pay": "full"}
    refused = client.post("/guest/hotel/book", data={**form, "extra": ["breakfast", "minibar"]})
    assert refused.status_code == 422 and "card problem" in refused.text
    with sessions() as s:
        assert s.scalars(select(Reservation)).all() == []  # nothing booked
    booked = client.post("/guest/hotel/book", data={**form, "extra": ["breakfast", "parking"]})
    assert booked.status_code == 303
    with sessions() as s:
        res = s.scalars(select(Reservation)).one()
        folio = folio_of(s, res.id)
        assert folio is not None
        lines = {(c.kind, c.quantity, c.gross_minor) for c in s.scalars(select(Charge))}
        assert lines == {("restaurant", 6, 7200), ("transport", 3, 4500)}
        assert s.get(GuestHold, res.id).amount_minor == res.total_minor + 7200 + 4500  # type: ignore[union-attr]
    with sessions.begin() as s:
        assert release_due(s, ledger=client.app.services.ledger,  # type: ignore[attr-defined]
                           now=NOW + timedelta(hours=1), billing=BillingSettings()) == 1
    with sessions() as s:
        folio = folio_of(s, res.id)
        assert folio is not None and balances(s, folio)[Payer.GUEST].minor == 0  # the extras taken off
        assert all(row.reversed_at is not None for row in s.scalars(select(BookedExtra)))


def test_a_cancellation_at_the_desk_takes_the_booked_extras_off_the_folio(
    client: TestClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    _offer(sessions, clock)
    client.get("/guest/hotel/book", params={"arrival": "2027-03-11", "departure": "2027-03-14",
                                            "adults": "2", "room_type": "std", "rate_plan": "flex"})
    form = details_form(client)
    assert client.post("/guest/hotel/book", data={**form, "extra": ["breakfast"]}).status_code == 303
    with sessions() as s:
        res = s.scalars(select(Reservation)).one()
    with sessions.begin() as s:  # as the desk's cancel route does: the policy, then the app's ledger
        booked = s.get(Reservation, res.id)
        assert booked is not None
        cancellation.cancel(s, booked, now=NOW)
        client.app.services.ledger.cancelled(s, booked, now=NOW)  # type: ignore[attr-defined]
    with sessions() as s:
        lines = sorted((c.kind, c.discount, c.gross_minor) for c in s.scalars(select(Charge)))
        assert lines == [("restaurant", False, 7200), ("restaurant", True, -7200)]  # charged, taken off
        assert all(row.reversed_at is not None for row in s.scalars(select(BookedExtra)))
