"""Every copy of a guest's personal data is sealed at rest, exported with the profile and erased with it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.folio import ChargeKind, Payer
from cloud.billing.invoicing import issue_invoice
from cloud.billing.models import Charge, Folio, Invoice
from cloud.billing.service import ChargeRequest, post_charge
from cloud.billing.tax import TaxPolicy
from cloud.core.money import Money
from tests.cloud.reservations.conftest import NOW

NAME, EMAIL, PHONE = "Zoraida Quintanilla", "zoraida.q@example.org", "+34 611 222 333"
DINNER, COMPANY = f"Dinner for {NAME} and guest", "Quintanilla Consulting SL"
SECRETS = ("Zoraida", "Quintanilla", "zoraida", "611 222 333", "611222333", "example.org", "Consulting",
           "Dinner")
TABLES = (
    "reservations",
    "billing_folios",
    "billing_charges",
    "billing_invoices",
    "notify_outbox",
    "channel_reservations",
    "guestweb_precheckins",
)


def _raw(sessions: sessionmaker[Session]) -> dict[str, list[Any]]:
    with sessions() as s:
        return {t: [tuple(r) for r in s.execute(text(f"SELECT * FROM {t}"))] for t in TABLES}


def _stay(client: TestClient) -> tuple[dict[str, Any], dict[str, Any]]:
    guest = client.post(
        "/api/v1/guests", params={"site": "hotel"}, json={"name": NAME, "email": EMAIL, "phone": PHONE}
    )
    assert guest.status_code == 201, guest.text
    body = {
        "room_type": "std",
        "rate_plan": "flex",
        "arrival": "2027-03-01",
        "departure": "2027-03-03",
        "adults": 1,
        "guest_name": NAME,
        "guest_email": EMAIL,
        "guest_phone": PHONE,
        "guest_id": guest.json()["id"],
    }
    made = client.post("/api/v1/properties/hotel/reservations", json=body)
    assert made.status_code == 201, made.text
    checked_in = client.post(f"/api/v1/reservations/{made.json()['id']}/check-in")
    assert checked_in.status_code == 200, checked_in.text
    return guest.json(), made.json()


@pytest.mark.slow
def test_no_copy_holds_the_name_email_or_phone_in_plain_and_erasure_reaches_them(
    manager: TestClient, sessions: sessionmaker[Session]
) -> None:
    guest, res = _stay(manager)
    _invoice(sessions)
    raw = _raw(sessions)
    assert raw["reservations"] and raw["billing_folios"] and raw["billing_invoices"]
    dumped = repr(raw)
    assert not [s for s in SECRETS if s in dumped], "a plain copy of the guest's data is stored"
    assert (
        manager.get("/api/v1/properties/hotel/reservations", params={"q": "quintanilla"}).json()[0]["id"]
        == res["id"]
    )
    assert manager.get(f"/api/v1/reservations/{res['id']}").json()["guest_email"] == EMAIL  # opened on read

    exported = manager.get(f"/api/v1/guests/{guest['id']}/export").json()
    assert [r["email"] for r in exported["reservations"]] == [EMAIL]
    assert exported["folios"] and exported["folios"][0]["name"] == NAME
    assert exported["folios"][0]["company"] == COMPANY
    assert DINNER in [c["description"] for c in exported["charges"]]
    assert exported["messages"], "the booking's message to the guest is found by the phone's blind index"
    assert raw["notify_outbox"]

    with sessions() as s:
        amounts = sorted(s.scalars(select(Charge.gross_minor)).all())
    assert manager.delete(f"/api/v1/guests/{guest['id']}").status_code == 204
    after = manager.get(f"/api/v1/reservations/{res['id']}").json()
    assert (after["guest_name"], after["guest_email"], after["guest_phone"]) == ("[erased]", None, None)
    assert manager.get("/api/v1/properties/hotel/reservations", params={"q": "quintanilla"}).json() == []
    again = manager.get(f"/api/v1/guests/{guest['id']}/export").json()
    assert again["reservations"][0]["name"] == "[erased]" and again["messages"] == []
    assert again["invoices"][0]["bill_to"]["name"] == NAME  # the issued invoice keeps the buyer's name
    assert again["folios"][0]["company"] == "[erased]"
    assert {c["description"] for c in again["charges"]} == {"[erased]"}
    with sessions() as s:  # the invoice keeps its lines as issued; the charges keep their amounts
        assert "Water" in [line["description"] for line in s.scalars(select(Invoice.lines)).one()]
        assert sorted(s.scalars(select(Charge.gross_minor)).all()) == amounts


def _invoice(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        folio = s.scalars(select(Folio)).one()
        post_charge(
            s,
            folio_id=folio.id,
            policy=TaxPolicy(inclusive=False),
            now=NOW,
            request=ChargeRequest(ChargeKind.MINIBAR, "Water", Money(350, "EUR")),
        )
        issue_invoice(s, folio_id=folio.id, payer=Payer.GUEST, series="INV", now=NOW)
        post_charge(s, folio_id=folio.id, policy=TaxPolicy(inclusive=False), now=NOW,
                    request=ChargeRequest(ChargeKind.RESTAURANT, DINNER, Money(4000, "EUR")))
        folio.company_name = COMPANY
