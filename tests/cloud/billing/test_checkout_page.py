"""The front desk's check-out page: folio, extras, payments, check-out, invoice; its refusals."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug import Request, Response

from cloud.auth.accounts import ensure_property
from cloud.auth.roles import Role
from cloud.billing.models import Charge, Invoice, Payment
from cloud.billing.settings import RateConfig, TaxConfig
from cloud.payments.stripe import StripeProvider
from cloud.reservations.models import Reservation
from tests.cloud.billing.desk_support import checked_in, cookie_client, form_of
from tests.cloud.billing.stay_support import Clock, folio, owed
from tests.cloud.reservations.apps import client_for

DEPARTURE_MORNING = datetime(2027, 3, 6, 9, 0, tzinfo=UTC)  # 10:00 in Madrid, checkout is 11:00
STAY_MINOR = 29000  # the seeded flex rate: 90 + 90 + 110 EUR for 2027-03-03..06


def _page(client: TestClient, rid: str, lang: str = "en") -> str:
    r = client.get(f"/reservations/{rid}/checkout", headers={"Accept-Language": lang})
    assert r.status_code == 200, r.text
    return r.text


def _post(client: TestClient, rid: str, action: str, fields: dict[str, str],
          lang: str = "en") -> httpx.Response:
    hidden = form_of(_page(client, rid, lang), f"/reservations/{rid}/checkout/{action}")
    return client.post(f"/reservations/{rid}/checkout/{action}", data={**hidden, **fields},
                       headers={"Accept-Language": lang}, follow_redirects=False)


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _status(sessions: sessionmaker[Session], rid: str) -> str:
    with sessions() as s:
        res = s.get(Reservation, rid)
        assert res is not None
        return res.status


def test_the_page_shows_the_folio_line_by_line_in_the_desk_language(
    desk: TestClient, stay_clock: Clock
) -> None:
    rid = checked_in(desk, stay_clock)
    client = cookie_client(desk)
    page = _page(client, rid, "es")
    assert page.count("Noche de habitación") == 3 and "90,00\xa0€" in page
    assert "290,00\xa0€" in page and 'id="guest-balance"' in page
    assert "6/3/27, 11:00" in page  # the checkout hour in Madrid, not 10:00 UTC
    english = _page(client, rid, "en")
    assert "€290.00" in english and "Room night" in english and "Take cash" in english


@pytest.mark.slow
def test_an_extra_with_its_tax_then_cash_with_change_then_check_out_and_the_invoice(
    desk: TestClient, stay_clock: Clock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ctx = desk.app.services.billing  # type: ignore[attr-defined]
    rate = RateConfig(code="IVA", percent="10", applies_to=["minibar"])
    monkeypatch.setattr(ctx.settings, "billing_taxes", {"*": TaxConfig(rates=[rate])})
    rid = checked_in(desk, stay_clock)
    client = cookie_client(desk)
    added = _post(client, rid, "charge", {"kind": "minibar", "description": "2 agua",
                                          "quantity": "2", "unit_price": "2,50"})
    assert added.status_code == 303, added.text
    page = _page(client, rid)
    assert "Minibar · 2 agua" in page and "€0.50" in page and "Tax IVA" in page
    assert owed(desk, rid) == STAY_MINOR + 550
    paid = _post(client, rid, "payment", {"method": "cash", "amount": "295.50",
                                          "tendered": "300"})
    assert paid.status_code == 303
    shown = client.get(paid.headers["location"]).text
    assert "Change to give: €4.50" in shown and owed(desk, rid) == 0
    stay_clock.now = DEPARTURE_MORNING
    done = _post(client, rid, "finish", {"invoice": "on"})
    assert done.status_code == 303 and _status(desk.app.services.sessions, rid) == "checked_out"  # type: ignore[attr-defined]
    after = client.get(done.headers["location"]).text
    link = re.search(r'href="(/api/v1/invoices/[0-9A-Z]+/pdf)" download', after)
    assert link and "INV-000001" in after
    assert link.group(1) in client.get(f"/reservations/{rid}").text  # the stay page links it too
    pdf = client.get(link.group(1))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    (tmp_path / "i.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "i.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "INV-000001" in text and "€295.50" in text


def test_check_out_is_refused_while_the_guest_owes_money(
    desk: TestClient, stay_clock: Clock
) -> None:
    rid = checked_in(desk, stay_clock)
    client = cookie_client(desk)
    refused = _post(client, rid, "finish", {"invoice": "on"}, lang="es")
    assert refused.status_code == 422
    assert "El huésped aún debe 290,00\xa0€" in refused.text and 'role="alert"' in refused.text
    assert _status(desk.app.services.sessions, rid) == "checked_in"  # type: ignore[attr-defined]
    later = _post(client, rid, "finish", {"bill_later": "on"})
    assert later.status_code == 422 and "billed to a company" in later.text
    assert _status(desk.app.services.sessions, rid) == "checked_in"  # type: ignore[attr-defined]


HOSTILE_PAYMENTS = [
    ({"amount": "-10.00"}, "more than zero"),
    ({"amount": "0"}, "more than zero"),
    ({"amount": "ten"}, "Enter an amount"),
    ({"amount": "1e3"}, "Enter an amount"),
    ({"amount": "12.345"}, "Enter an amount"),
    ({"amount": "99999999999999999999"}, "too large"),
    ({"amount": "290.01"}, "more than the guest owes"),
    ({"amount": "10.00", "currency": "USD"}, "This folio is in EUR"),
    ({"amount": "10.00", "tendered": "5"}, "tendered is less"),
    ({"amount": "10.00", "method": "cheque"}, "Choose cash, card or QR"),
]


def test_hostile_payment_amounts_are_refused_and_nothing_is_recorded(
    desk: TestClient, stay_clock: Clock
) -> None:
    """Each refusal leaves the stay as it was, so the next one is tried on the same stay."""
    rid = checked_in(desk, stay_clock)
    client = cookie_client(desk)
    for fields, says in HOSTILE_PAYMENTS:
        refused = _post(client, rid, "payment", {"method": "cash", **fields})
        assert refused.status_code == 422 and says in refused.text, (fields, refused.status_code)
        assert _count(desk.app.services.sessions, Payment) == 0, fields  # type: ignore[attr-defined]
    assert owed(desk, rid) == STAY_MINOR


HOSTILE_EXTRAS = [
    ({"unit_price": "-3"}, "more than zero"),
    ({"unit_price": "abc"}, "Enter an amount"),
    ({"unit_price": "123456789012"}, "too large"),
    ({"unit_price": "3", "currency": "MXN"}, "This folio is in EUR"),
    ({"unit_price": "3", "quantity": "0"}, "whole number from 1 to 100"),
    ({"unit_price": "3", "quantity": "1000000"}, "whole number from 1 to 100"),
    ({"unit_price": "3", "kind": "room_night"}, "Choose what the extra"),
    ({"unit_price": "3", "payer": "company"}, "no company to bill"),
]


def test_hostile_extra_charges_are_refused_and_nothing_is_posted(
    desk: TestClient, stay_clock: Clock
) -> None:
    rid = checked_in(desk, stay_clock)
    client = cookie_client(desk)
    before = _count(desk.app.services.sessions, Charge)  # type: ignore[attr-defined]
    for fields, says in HOSTILE_EXTRAS:
        refused = _post(client, rid, "charge", {"kind": "minibar", **fields})
        assert refused.status_code == 422 and says in refused.text, (fields, refused.status_code)
        assert _count(desk.app.services.sessions, Charge) == before, fields  # type: ignore[attr-defined]
    assert owed(desk, rid) == STAY_MINOR


def test_a_post_without_the_csrf_token_is_refused(desk: TestClient, stay_clock: Clock) -> None:
    rid = checked_in(desk, stay_clock)
    client = cookie_client(desk)
    hidden = form_of(_page(client, rid), f"/reservations/{rid}/checkout/payment")
    del hidden["csrf_token"]
    for action, fields in (("payment", {"method": "cash", "amount": "290"}), ("finish", {})):
        r = client.post(f"/reservations/{rid}/checkout/{action}", data={**hidden, **fields},
                        follow_redirects=False)
        assert r.status_code == 403 and "security token" in r.text
    assert _count(desk.app.services.sessions, Payment) == 0  # type: ignore[attr-defined]
    assert _status(desk.app.services.sessions, rid) == "checked_in"  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", [Role.HOUSEKEEPING, Role.MAINTENANCE])
def test_staff_outside_billing_cannot_open_or_use_the_page(
    desk: TestClient, stay_clock: Clock, role: Role
) -> None:
    rid = checked_in(desk, stay_clock)
    sessions = desk.app.services.sessions  # type: ignore[attr-defined]
    with client_for(sessions, clock=stay_clock, role=role) as other:
        assert other.get(f"/reservations/{rid}/checkout").status_code == 403
        r = other.post(f"/reservations/{rid}/checkout/payment",
                       data={"method": "cash", "amount": "290", "currency": "EUR", "key": "k1"})
        assert r.status_code == 403
    assert _count(sessions, Payment) == 0


def test_a_double_click_records_one_payment(desk: TestClient, stay_clock: Clock) -> None:
    rid = checked_in(desk, stay_clock)
    client = cookie_client(desk)
    hidden = form_of(_page(client, rid), f"/reservations/{rid}/checkout/payment")
    for _ in range(2):
        r = client.post(f"/reservations/{rid}/checkout/payment", follow_redirects=False,
                        data={**hidden, "method": "cash", "amount": "100"})
        assert r.status_code == 303
    assert _count(desk.app.services.sessions, Payment) == 1  # type: ignore[attr-defined]
    assert owed(desk, rid) == STAY_MINOR - 10000


def test_a_card_payment_goes_through_the_stripe_adapter_once(
    desk: TestClient, stay_clock: Clock, httpserver: HTTPServer
) -> None:
    seen: list[tuple[str, str]] = []

    def intent(request: Request) -> Response:
        seen.append((request.headers["Idempotency-Key"], request.form["amount"]))
        return Response('{"id": "pi_desk", "status": "succeeded", "client_secret": "s"}',
                        content_type="application/json")

    httpserver.expect_request("/v1/payment_intents", method="POST").respond_with_handler(intent)
    ctx = desk.app.services.billing  # type: ignore[attr-defined]
    ctx.provider = StripeProvider(httpx.Client(), secret_key="sk_test_desk",
                                  base_url=httpserver.url_for("").rstrip("/"))
    rid = checked_in(desk, stay_clock)
    client = cookie_client(desk)
    hidden = form_of(_page(client, rid), f"/reservations/{rid}/checkout/payment")
    for _ in range(2):  # the second is the same form sent again
        r = client.post(f"/reservations/{rid}/checkout/payment", follow_redirects=False,
                        data={**hidden, "method": "card", "amount": "290.00"})
        assert r.status_code == 303, r.text[r.text.find('role="alert"'):][:300]
    assert seen == [(f"pay:{hidden['key']}", "29000")]
    body = folio(desk, rid)
    assert [(p["method"], p["status"], p["provider_ref"]) for p in body["payments"]] == [
        ("card", "succeeded", "pi_desk")]
    assert owed(desk, rid) == 0


def test_a_declined_card_is_said_on_the_page_and_records_nothing(
    desk: TestClient, stay_clock: Clock, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/v1/payment_intents").respond_with_json(
        {"error": {"type": "card_error", "code": "card_declined", "message": "declined"}},
        status=402)
    ctx = desk.app.services.billing  # type: ignore[attr-defined]
    ctx.provider = StripeProvider(httpx.Client(), secret_key="sk_test_desk",
                                  base_url=httpserver.url_for("").rstrip("/"))
    rid = checked_in(desk, stay_clock)
    refused = _post(cookie_client(desk), rid, "payment", {"method": "card", "amount": "290"})
    assert refused.status_code == 422 and "The card payment was declined" in refused.text
    assert _count(desk.app.services.sessions, Payment) == 0  # type: ignore[attr-defined]


def test_a_qr_payment_is_recorded_with_the_bank_reference(
    desk: TestClient, stay_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = desk.app.services.billing.settings  # type: ignore[attr-defined]
    monkeypatch.setattr(settings, "qr_account_gui", "mx.com.banco")
    monkeypatch.setattr(settings, "qr_account_id", "0123456789")
    rid = checked_in(desk, stay_clock)
    client = cookie_client(desk)
    page = _page(client, rid)
    qr = re.search(r'<img src="(/api/v1/folios/[0-9A-Z]+/payment-qr)"', page)
    assert qr is not None
    image = client.get(qr.group(1))
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    missing = _post(client, rid, "payment", {"method": "qr", "amount": "290"})
    assert missing.status_code == 422 and "reference" in missing.text
    paid = _post(client, rid, "payment", {"method": "qr", "amount": "290",
                                          "reference": "SPEI-778899"})
    assert paid.status_code == 303 and owed(desk, rid) == 0
    assert folio(desk, rid)["payments"][0]["provider_ref"] == "qr:SPEI-778899"


def test_the_invoice_is_written_in_the_language_booked_for_the_guest(
    desk: TestClient, stay_clock: Clock
) -> None:
    rid = checked_in(desk, stay_clock, guest_language="zh")
    client = cookie_client(desk)
    assert _post(client, rid, "payment", {"method": "cash", "amount": "290"}).status_code == 303
    assert _post(client, rid, "finish", {"invoice": "on"}).status_code == 303
    with desk.app.services.sessions() as s:  # type: ignore[attr-defined]
        assert list(s.scalars(select(Invoice.language))) == ["zh"]
    assert folio(desk, rid)["guest_language"] == "zh"


def test_the_desk_of_another_property_cannot_open_or_use_the_page(
    desk: TestClient, stay_clock: Clock
) -> None:
    rid = checked_in(desk, stay_clock)
    sessions = desk.app.services.sessions  # type: ignore[attr-defined]
    with sessions.begin() as s:
        ensure_property(s, site="annex", chain="other-chain", name="Annex")
    with client_for(sessions, clock=stay_clock, site="annex") as other:
        page = other.get(f"/reservations/{rid}/checkout")
        assert page.status_code == 403 and "Ana Ruiz" not in page.text
        r = other.post(f"/reservations/{rid}/checkout/finish", data={"key": "k2"})
        assert r.status_code == 403
    assert _status(sessions, rid) == "checked_in"


def test_a_stay_the_company_pays_shows_the_split_and_may_leave_owing_on_its_account(
    desk: TestClient, stay_clock: Clock
) -> None:
    block = desk.post("/api/v1/properties/hotel/blocks", json={
        "name": "ACME", "kind": "group", "arrival": "2027-03-03", "departure": "2027-03-06",
        "release_on": "2027-03-02", "rate_plan": "flex", "rooms": {"std": 2}}).json()
    master = desk.post(f"/api/v1/blocks/{block['id']}/master-folio",
                       json={"company_name": "ACME SA", "company_tax_id": "ACM010101AAA"})
    assert master.status_code == 201, master.text
    rid = checked_in(desk, stay_clock, block_id=block["id"])
    client = cookie_client(desk)
    page = _page(client, rid)
    assert page.count("Company (group account)") == 3 and 'name="bill_later"' in page
    assert owed(desk, rid) == 0
    assert _post(client, rid, "charge", {"kind": "restaurant", "description": "Cena",
                                         "unit_price": "40"}).status_code == 303
    refused = _post(client, rid, "finish", {})
    assert refused.status_code == 422 and "The guest still owes €40.00" in refused.text
    stay_clock.now = DEPARTURE_MORNING
    left = _post(client, rid, "finish", {"bill_later": "on", "invoice": "on"})
    assert left.status_code == 303 and _status(desk.app.services.sessions, rid) == "checked_out"  # type: ignore[attr-defined]
    assert owed(desk, rid) == 4000  # still owed, chased by the reminders


def test_todays_departures_open_the_check_out_page(desk: TestClient, stay_clock: Clock) -> None:
    rid = checked_in(desk, stay_clock)
    stay_clock.now = DEPARTURE_MORNING
    today = cookie_client(desk).get("/reservations?site=hotel")
    assert f'href="/reservations/{rid}/checkout"' in today.text
    assert f'action="/reservations/{rid}/check-out"' not in today.text
