"""The guest's language on a reservation: asked for, else the profile's, else the property's;
the folio, the invoice and the WhatsApp confirmation follow it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.models import Folio
from cloud.catalog.models import Property
from cloud.notify.models import OutboxMessage
from tests.cloud.reservations.apps import client_for
from tests.cloud.reservations.conftest import NOW
from tests.cloud.reservations.test_pages import FORM

BOOKING = {"room_type": "std", "rate_plan": "flex", "arrival": "2027-03-08",
           "departure": "2027-03-10", "guest_name": "Mei Lin", "guest_phone": "+34 600 123 456"}


def _book(client: Any, **changes: Any) -> dict[str, Any]:
    r = client.post("/api/v1/properties/hotel/reservations", json={**BOOKING, **changes})
    assert r.status_code == 201, r.text
    return dict(r.json())


def _folio_language(sessions: sessionmaker[Session], reservation_id: str) -> str:
    with sessions() as s:
        return str(s.scalar(select(Folio.guest_language).where(
            Folio.reservation_id == reservation_id)))


def test_the_language_asked_for_is_kept_and_followed_by_folio_and_message(
    sessions: sessionmaker[Session],
) -> None:
    with client_for(sessions, clock=lambda: NOW) as client:
        res = _book(client, guest_language="es")
    assert res["guest_language"] == "es" and _folio_language(sessions, res["id"]) == "es"
    with sessions() as s:
        sent = s.scalars(select(OutboxMessage).where(OutboxMessage.template == "booking_confirmation"))
        assert [m.language for m in sent] == ["es"]


def test_without_a_choice_the_profile_then_the_property_decides(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        s.execute(update(Property).where(Property.slug == "hotel").values(language="zh"))
    with client_for(sessions, clock=lambda: NOW) as client:
        guest = client.post("/api/v1/guests", json={"name": "Ana Gil", "language": "es"})
        assert guest.status_code == 201, guest.text
        assert guest.json()["language"] == "es"
        from_profile = _book(client, guest_id=guest.json()["id"])
        from_property = _book(client)
        asked = _book(client, guest_id=guest.json()["id"], guest_language="en")
    assert from_profile["guest_language"] == "es" and from_property["guest_language"] == "zh"
    assert asked["guest_language"] == "en"
    assert _folio_language(sessions, from_property["id"]) == "zh"


@pytest.mark.parametrize("language", ["fr", "EN", "", "zh-Hans", "x" * 50])
def test_an_unknown_language_is_refused_by_api_and_form(
    sessions: sessionmaker[Session], language: str
) -> None:
    with client_for(sessions, clock=lambda: NOW) as client:
        r = client.post("/api/v1/properties/hotel/reservations",
                        json={**BOOKING, "guest_language": language})
        assert r.status_code == 422
        form = client.post("/reservations/new", data={**FORM, "guest_language": language[:20]},
                           follow_redirects=False)
        assert form.status_code == (303 if language == "" else 422)
        bad_guest = client.post("/api/v1/guests", json={"name": "X", "language": language or "de"})
        assert bad_guest.status_code == 422


def test_the_booking_form_records_the_language_chosen(sessions: sessionmaker[Session]) -> None:
    with client_for(sessions, clock=lambda: NOW) as client:
        made = client.post("/reservations/new", data={**FORM, "guest_language": "zh"},
                           follow_redirects=False)
        assert made.status_code == 303
        reservation_id = made.headers["location"].rsplit("/", 1)[1]
        assert client.get(f"/api/v1/reservations/{reservation_id}").json()["guest_language"] == "zh"


def test_the_database_refuses_a_language_it_does_not_know(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(IntegrityError), sessions.begin() as s:
        s.execute(text("UPDATE properties SET language = 'fr'"))
    with client_for(sessions, clock=lambda: NOW) as client:
        res = _book(client)
    with pytest.raises(IntegrityError), sessions.begin() as s:
        s.execute(text("UPDATE reservations SET guest_language = 'de' WHERE id = :id"),
                  {"id": res["id"]})
