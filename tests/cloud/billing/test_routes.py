from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import zxingcpp
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.engine import Engine

from cloud.auth.accounts import ensure_property
from cloud.auth.deps import current_principal
from cloud.auth.roles import Principal, Role
from cloud.billing.context import BillingContext, get_context
from cloud.billing.routes import router
from cloud.billing.settings import BillingSettings, TaxConfig
from cloud.core.db import make_sessionmaker
from cloud.core.problems import install_problem_handlers
from cloud.payments.emvqr import parse_payload
from cloud.payments.simulated import SimulatedCardProvider
from cloud.payments.stripe import sign_webhook

SETTINGS = BillingSettings(
    billing_taxes={"centro": TaxConfig.model_validate({"inclusive": False, "rates": [
        {"code": "IVA", "percent": "16"},
        {"code": "ISH", "percent": "3", "applies_to": ["room_night"]}]})},
    qr_account_gui="mx.org.banxico.codi", qr_account_id="012180001234567891",
    stripe_webhook_secret="whsec_x",
)
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
DESK = Principal(user_id="01JD0000000000000000000000", username="desk", display_name="Desk",
                 role=Role.FRONT_DESK, chain="test-chain", site="centro")


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    app.state.principal = DESK
    # billing answers signed-in staff only; tests switch who is signed in through app.state
    app.dependency_overrides[current_principal] = lambda: app.state.principal
    app.state.billing = BillingContext(sessions=make_sessionmaker(engine), settings=SETTINGS,
                                       provider=SimulatedCardProvider(), clock=lambda: NOW)
    app.dependency_overrides[get_context] = lambda: app.state.billing
    with TestClient(app) as test_client:
        yield test_client


_counter = iter(range(10**6))


def post(client: TestClient, url: str, body: Any, key: str | None = None) -> Any:
    key = key or f"k-{next(_counter)}"
    return client.post(url, json=body, headers={"Idempotency-Key": key})


def _folio(client: TestClient, **extra: Any) -> dict[str, Any]:
    body = {"site": "centro", "currency": "MXN",
            "guest": {"name": "Li Wei", "language": "zh", "phone": "+8613800138000"}, **extra}
    response = post(client, "/api/v1/folios", body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _charge(client: TestClient, folio: str, kind: str, amount: str, **extra: Any) -> Any:
    body = {"kind": kind, "unit_price": {"amount": amount, "currency": "MXN"}, **extra}
    return post(client, f"/api/v1/folios/{folio}/charges", body)


@pytest.mark.slow
def test_a_stay_from_charges_to_paid_invoice_pdf(client: TestClient) -> None:
    folio = _folio(client)["id"]
    assert _charge(client, folio, "room_night", "1500.00", quantity=2,
                   night="2026-11-24").status_code == 201
    _charge(client, folio, "minibar", "80.00")
    _charge(client, folio, "room_night", "100.00", discount=True, description="Promo")
    view = client.get(f"/api/v1/folios/{folio}").json()
    # nights 3000 + 16% + 3% = 3570; minibar 80 + 16% = 92.80; discount -119 => 3543.80
    assert view["balances"]["guest"] == {"minor": 354380, "currency": "MXN",
                                         "amount": "3543.80"}
    paid = post(client, f"/api/v1/folios/{folio}/payments", {
        "amount": {"amount": "3543.80", "currency": "MXN"}, "method": "card",
        "stage": "check_out"})
    assert paid.status_code == 201 and paid.json()["status"] == "succeeded"
    assert client.get(f"/api/v1/folios/{folio}").json()["balances"]["guest"]["minor"] == 0
    invoice = post(client, f"/api/v1/folios/{folio}/invoices", {"payer": "guest"}).json()
    assert (invoice["number"], invoice["total_minor"]) == ("INV-000001", 354380)
    pdf = client.get(invoice["pdf"])
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'attachment; filename="INV-000001.pdf"'
    assert pdf.content.startswith(b"%PDF")


def test_company_share_master_routing_and_separate_invoices(client: TestClient) -> None:
    master = _folio(client, master=True, reservation_id=None, company_name="ACME SA")["id"]
    stay = _folio(client, master_folio_id=master, routed_kinds=["room_night"],
                  company_name="ACME SA")["id"]
    _charge(client, stay, "room_night", "1000.00")  # routed to the group's master folio
    _charge(client, stay, "restaurant", "200.00", company_share_percent="50")
    master_view = client.get(f"/api/v1/folios/{master}").json()
    stay_view = client.get(f"/api/v1/folios/{stay}").json()
    assert [c["origin_folio_id"] for c in master_view["charges"]] == [stay]
    assert master_view["balances"]["guest"]["minor"] == 119000
    assert stay_view["balances"] == {
        "guest": {"minor": 11600, "currency": "MXN", "amount": "116.00"},
        "company": {"minor": 11600, "currency": "MXN", "amount": "116.00"}}
    company = post(client, f"/api/v1/folios/{stay}/invoices", {"payer": "company"}).json()
    assert company["bill_to"]["name"] == "ACME SA" and company["total_minor"] == 11600


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(
    client: TestClient,
) -> None:
    folio = _folio(client)["id"]
    first = post(client, f"/api/v1/folios/{folio}/charges",
        {"kind": "spa", "unit_price": {"amount": "500.00", "currency": "MXN"}}, key="spa-1")
    again = post(client, f"/api/v1/folios/{folio}/charges",
                 {"kind": "spa", "unit_price": {"amount": "500.00", "currency": "MXN"}},
                 key="spa-1")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(client.get(f"/api/v1/folios/{folio}").json()["charges"]) == 1
    other = post(client, f"/api/v1/folios/{folio}/charges",
                 {"kind": "spa", "unit_price": {"amount": "9.00", "currency": "MXN"}},
                 key="spa-1")
    assert other.status_code == 422
    assert other.json()["type"] == "/problems/idempotency-key-reused"


def test_problems_are_rfc9457_for_bad_input_and_missing_things(client: TestClient) -> None:
    folio = _folio(client)["id"]
    missing_key = client.post(f"/api/v1/folios/{folio}/invoices", json={})
    assert missing_key.status_code == 400
    assert missing_key.headers["content-type"] == "application/problem+json"
    too_precise = _charge(client, folio, "spa", "1.005")
    assert too_precise.status_code == 422
    wrong_currency = post(client, f"/api/v1/folios/{folio}/charges", {
        "kind": "spa", "unit_price": {"amount": "1.00", "currency": "EUR"}})
    assert wrong_currency.json()["type"] == "/problems/billing/invalid-amount"
    unknown = client.get("/api/v1/folios/nope").json()
    assert (unknown["status"], unknown["type"]) == (404, "/problems/billing/folio-not-found")
    nothing = post(client, f"/api/v1/folios/{folio}/invoices", {})
    assert nothing.status_code == 409 and "nothing to invoice" in nothing.json()["detail"]
    assert client.get(f"/api/v1/folios/{folio}").json()["charges"] == []


def test_refunds_never_exceed_the_payment(client: TestClient) -> None:
    folio = _folio(client)["id"]
    _charge(client, folio, "laundry", "100.00")
    payment = post(client, f"/api/v1/folios/{folio}/payments", {
        "amount": {"amount": "116.00", "currency": "MXN"}, "method": "cash",
        "stage": "stay"}).json()
    url = f"/api/v1/payments/{payment['id']}/refunds"
    assert post(client, url, {"amount": {"amount": "100.00", "currency": "MXN"}}
                ).status_code == 201
    too_much = post(client, url, {"amount": {"amount": "16.01", "currency": "MXN"}})
    assert too_much.status_code == 409
    balance = client.get(f"/api/v1/folios/{folio}").json()["balances"]["guest"]
    assert balance["amount"] == "100.00"


def test_credit_note_route_reverses_and_a_second_is_refused(client: TestClient) -> None:
    folio = _folio(client)["id"]
    _charge(client, folio, "transport", "300.00")
    invoice = post(client, f"/api/v1/folios/{folio}/invoices", {}).json()
    note = post(client, f"/api/v1/invoices/{invoice['id']}/credit-notes", None)
    assert note.status_code == 201
    assert (note.json()["number"], note.json()["total_minor"]) == ("CN-000001", -34800)
    again = post(client, f"/api/v1/invoices/{invoice['id']}/credit-notes", None)
    assert again.status_code == 409
    reissued = post(client, f"/api/v1/folios/{folio}/invoices", {}).json()
    assert reissued["number"] == "INV-000002"


def test_a_folio_for_an_unknown_reservation_is_refused_with_a_problem(client: TestClient) -> None:
    body = {"site": "centro", "currency": "MXN", "reservation_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "guest": {"name": "Li Wei", "language": "zh"}}
    response = post(client, "/api/v1/folios", body)
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/billing/unknown-reservation"


def test_payment_qr_encodes_the_balance_and_decodes_from_the_png(client: TestClient) -> None:
    folio = _folio(client)["id"]
    _charge(client, folio, "late_checkout", "250.00")
    response = client.get(f"/api/v1/folios/{folio}/payment-qr")
    assert response.headers["content-type"] == "image/png"
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))
    qr = parse_payload(code.text)
    assert (qr.amount and qr.amount.minor, qr.currency, qr.bill_number) == (29000, "MXN", folio[:25])


def test_stripe_webhook_settles_a_pending_card_payment_and_bad_signature_is_refused(
    client: TestClient,
) -> None:
    folio = _folio(client)["id"]
    _charge(client, folio, "spa", "100.00")
    ctx = client.app.state.billing  # type: ignore[attr-defined]
    ctx.provider.payments.clear()
    from cloud.payments.provider import ProviderPayment

    ctx.provider.create_payment = lambda **_: ProviderPayment("pi_77", "pending", "sec")
    paid = post(client, f"/api/v1/folios/{folio}/payments", {
        "amount": {"amount": "116.00", "currency": "MXN"}, "method": "card",
        "stage": "deposit"}).json()
    assert paid["status"] == "pending" and paid["client_secret"] == "sec"
    event = json.dumps({"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {
        "id": "pi_77", "object": "payment_intent", "amount": 11600, "amount_received": 11600,
        "status": "succeeded"}}}).encode()
    bad = client.post("/api/v1/payments/stripe/webhook", content=event,
                      headers={"Stripe-Signature": f"t={int(time.time())},v1={'0' * 64}"})
    assert bad.status_code == 400 and bad.json()["type"] == "/problems/billing/webhook-refused"
    assert client.get(f"/api/v1/folios/{folio}").json()["balances"]["guest"]["minor"] == 11600
    good = client.post("/api/v1/payments/stripe/webhook", content=event, headers={
        "Stripe-Signature": sign_webhook(event, secret="whsec_x", timestamp=int(time.time()))})
    assert good.json() == {"received": True, "applied": True}
    assert client.get(f"/api/v1/folios/{folio}").json()["balances"]["guest"]["minor"] == 0


def test_concurrent_requests_with_one_key_post_one_charge(client: TestClient) -> None:
    folio = _folio(client)["id"]
    body = {"kind": "minibar", "unit_price": {"amount": "10.00", "currency": "MXN"}}
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(
            lambda _: post(client, f"/api/v1/folios/{folio}/charges", body, key="same"),
            range(8)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["charges"][0] for a in answers}) == 1
    assert len(client.get(f"/api/v1/folios/{folio}").json()["charges"]) == 1


def test_a_declined_card_moves_no_money_and_leaves_no_payment(client: TestClient) -> None:
    folio = _folio(client)["id"]
    _charge(client, folio, "spa", "100.00")
    ctx = client.app.state.billing  # type: ignore[attr-defined]
    from cloud.core.delivery import DeliveryError

    def decline(**_: object) -> None:
        raise DeliveryError("card_error: card_declined", permanent=True)

    ctx.provider.create_payment = decline
    answer = post(client, f"/api/v1/folios/{folio}/payments", {
        "amount": {"amount": "116.00", "currency": "MXN"}, "method": "card", "stage": "stay"})
    assert answer.status_code == 402
    assert answer.json()["type"] == "/problems/billing/payment-declined"
    assert client.get(f"/api/v1/folios/{folio}").json()["payments"] == []


def test_a_folio_closes_only_when_settled_and_then_takes_no_charges(client: TestClient) -> None:
    folio = _folio(client)["id"]
    _charge(client, folio, "minibar", "10.00")
    refused = client.post(f"/api/v1/folios/{folio}/close")
    assert refused.status_code == 409 and "balance" in refused.json()["detail"]
    departed = client.post(f"/api/v1/folios/{folio}/departure").json()
    assert departed["departed_at"] == NOW.isoformat()
    post(client, f"/api/v1/folios/{folio}/payments", {
        "amount": {"amount": "11.60", "currency": "MXN"}, "method": "qr", "stage": "check_out",
        "reference": "SPEI-123"})
    assert client.post(f"/api/v1/folios/{folio}/close").json()["status"] == "closed"
    assert _charge(client, folio, "minibar", "10.00").status_code == 409


def test_the_same_bank_transfer_cannot_pay_twice(client: TestClient) -> None:
    folio = _folio(client)["id"]
    body = {"amount": {"amount": "5.00", "currency": "MXN"}, "method": "qr", "stage": "stay",
            "reference": "SPEI-777"}
    assert post(client, f"/api/v1/folios/{folio}/payments", body).status_code == 201
    assert post(client, f"/api/v1/folios/{folio}/payments", body).status_code == 409


def test_stored_answers_are_forgotten_after_the_retry_window(
    client: TestClient, engine: Engine
) -> None:
    from datetime import timedelta

    from cloud.core.idempotency import purge

    _folio(client)
    with make_sessionmaker(engine).begin() as session:
        assert purge(session, older_than=NOW) == 0
        assert purge(session, older_than=NOW + timedelta(seconds=1)) == 1


def _paid_and_invoiced(client: TestClient) -> tuple[str, str, str]:
    folio = _folio(client)["id"]
    _charge(client, folio, "laundry", "100.00")
    payment = post(client, f"/api/v1/folios/{folio}/payments", {
        "amount": {"amount": "116.00", "currency": "MXN"}, "method": "cash", "stage": "stay"}).json()
    invoice = post(client, f"/api/v1/folios/{folio}/invoices", {"payer": "guest"}).json()
    return folio, payment["id"], invoice["id"]


ONE = {"amount": "1.00", "currency": "MXN"}


def test_staff_of_another_property_cannot_reach_a_folio_its_payments_or_invoices(
        client: TestClient, engine: Engine) -> None:
    with make_sessionmaker(engine).begin() as session:
        ensure_property(session, site="centro", chain="test-chain", name="Centro")
        ensure_property(session, site="playa", chain="test-chain", name="Playa")
    folio, payment, invoice = _paid_and_invoiced(client)
    app: Any = client.app
    app.state.principal = Principal(user_id="01JD0000000000000000000001", username="desk2",
                                    display_name="Desk 2", role=Role.FRONT_DESK, chain="test-chain",
                                    site="playa")
    for path in (f"/api/v1/folios/{folio}", f"/api/v1/folios/{folio}/payment-qr",
                 f"/api/v1/invoices/{invoice}", f"/api/v1/invoices/{invoice}/pdf"):
        r = client.get(path)
        assert r.status_code == 404 and "Li Wei" not in r.text, path
    for path, body in ((f"/api/v1/folios/{folio}/charges",
                        {"kind": "spa", "unit_price": {"amount": "1.00", "currency": "MXN"}}),
                       (f"/api/v1/folios/{folio}/payments", {"amount": {"amount": "1.00", "currency": "MXN"},
                                                             "method": "cash", "stage": "stay"}),
                       (f"/api/v1/payments/{payment}/refunds", {"amount": ONE}),
                       (f"/api/v1/folios/{folio}/invoices", {"payer": "guest"}),
                       (f"/api/v1/invoices/{invoice}/credit-notes", {}),
                       (f"/api/v1/folios/{folio}/departure", None), (f"/api/v1/folios/{folio}/close", None)):
        assert post(client, path, body).status_code == 404, path
    assert post(client, "/api/v1/folios", {"site": "centro", "currency": "MXN",
                                           "guest": {"name": "X", "language": "es"}}).status_code == 403
    app.state.principal = Principal(user_id="01JD0000000000000000000002", username="boss",
                                    display_name="Boss", role=Role.CHAIN_ADMIN, chain="test-chain", site=None)
    seen = client.get(f"/api/v1/folios/{folio}").json()
    assert seen["balances"]["guest"]["amount"] == "0.00" and seen["charges"]
    assert client.get(f"/api/v1/invoices/{invoice}").status_code == 200
