from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cloud.core.delivery import DeliveryError
from cloud.core.money import Money
from cloud.payments.stripe import StripeProvider, WebhookRefused, sign_webhook, verify_webhook

KEY = "sk_test_51Hx"
SECRET = "whsec_test_secret"
EVENT = (Path(__file__).parent / "fixtures" / "payment_intent_succeeded.json").read_bytes()


def _provider(server: HTTPServer) -> StripeProvider:
    return StripeProvider(httpx.Client(timeout=5), secret_key=KEY, base_url=server.url_for("/"))


def _form(request: Request) -> dict[str, str]:
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    parsed = parse_qs(request.get_data(as_text=True), strict_parsing=True)
    assert all(len(v) == 1 for v in parsed.values())
    return {k: v[0] for k, v in parsed.items()}


def test_payment_intent_is_form_encoded_with_bearer_key_and_idempotency_key(
    httpserver: HTTPServer,
) -> None:
    def handler(request: Request) -> Response:
        assert request.headers["Idempotency-Key"] == "01JKEY"
        assert _form(request) == {
            "amount": "174000", "currency": "mxn", "description": "Folio 01JFOLIO",
            "automatic_payment_methods[enabled]": "true", "metadata[folio_id]": "01JFOLIO",
        }
        body = {"id": "pi_123", "object": "payment_intent", "status": "requires_payment_method",
                "client_secret": "pi_123_secret_abc"}
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/v1/payment_intents", method="POST").respond_with_handler(handler)
    result = _provider(httpserver).create_payment(
        amount=Money(174000, "MXN"), idempotency_key="01JKEY", description="Folio 01JFOLIO",
        metadata={"folio_id": "01JFOLIO"})
    assert (result.id, result.status, result.client_secret) == (
        "pi_123", "pending", "pi_123_secret_abc")
    httpserver.check_assertions()


def test_refund_names_the_payment_intent_and_amount(httpserver: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        assert request.headers["Idempotency-Key"] == "refund-1"
        assert _form(request) == {"payment_intent": "pi_123", "amount": "5000"}
        return Response(json.dumps({"id": "re_9", "object": "refund", "status": "succeeded"}),
                        content_type="application/json")

    httpserver.expect_request("/v1/refunds", method="POST").respond_with_handler(handler)
    result = _provider(httpserver).refund(payment_id="pi_123", amount=Money(5000, "MXN"),
                                          idempotency_key="refund-1")
    assert (result.id, result.status) == ("re_9", "succeeded")


@pytest.mark.parametrize(("status", "permanent"), [
    (402, True), (400, True), (401, True), (409, True), (429, False), (500, False), (503, False),
])
def test_errors_map_to_permanent_or_retryable(
    httpserver: HTTPServer, status: int, permanent: bool
) -> None:
    httpserver.expect_request("/v1/payment_intents").respond_with_json(
        {"error": {"type": "card_error", "code": "card_declined", "message": "declined"}},
        status=status)
    with pytest.raises(DeliveryError) as caught:
        _provider(httpserver).create_payment(amount=Money(1, "EUR"), idempotency_key="k",
                                             description="d", metadata={})
    assert caught.value.permanent is permanent
    assert "card_declined" in caught.value.reason


def test_a_correctly_signed_webhook_within_tolerance_is_accepted() -> None:
    header = sign_webhook(EVENT, secret=SECRET, timestamp=1764072000)
    event = verify_webhook(EVENT, header, secret=SECRET, now=1764072100)
    assert event["type"] == "payment_intent.succeeded"
    assert event["data"]["object"]["id"] == "pi_3QhD0mLkdIwHu7ix0Y6Z8a1B"


def test_one_matching_signature_among_several_is_enough() -> None:
    good = sign_webhook(EVENT, secret=SECRET, timestamp=1764072000).split("v1=")[1]
    header = f"t=1764072000,v1={'0' * 64},v1={good},v0=deadbeef"
    assert verify_webhook(EVENT, header, secret=SECRET, now=1764072000)


@pytest.mark.parametrize("header", [
    "t=1764072000,v1=" + "0" * 64,          # wrong signature
    "v1=abc",                               # no timestamp
    "t=1764072000",                         # no signature
    "",
    "t=abc,v1=def",
])
def test_a_webhook_with_a_bad_signature_header_is_refused(header: str) -> None:
    with pytest.raises(WebhookRefused):
        verify_webhook(EVENT, header, secret=SECRET, now=1764072000)


def test_a_tampered_body_is_refused() -> None:
    header = sign_webhook(EVENT, secret=SECRET, timestamp=1764072000)
    with pytest.raises(WebhookRefused):
        verify_webhook(EVENT.replace(b"174000", b"1"), header, secret=SECRET, now=1764072000)


def test_a_replayed_webhook_outside_the_tolerance_is_refused() -> None:
    header = sign_webhook(EVENT, secret=SECRET, timestamp=1764072000)
    with pytest.raises(WebhookRefused, match="tolerance"):
        verify_webhook(EVENT, header, secret=SECRET, now=1764072000 + 301)


def test_signature_is_hmac_sha256_of_timestamp_dot_body_as_stripe_documents() -> None:
    import hashlib
    import hmac

    mac = hmac.new(b"whsec_test_secret", b"1764072000." + EVENT, hashlib.sha256).hexdigest()
    assert verify_webhook(EVENT, f"t=1764072000,v1={mac}", secret=SECRET, now=1764072000)
    assert sign_webhook(EVENT, secret=SECRET, timestamp=1764072000) == f"t=1764072000,v1={mac}"


def test_a_key_reused_with_other_parameters_is_a_client_error_not_a_decline(
    httpserver: HTTPServer,
) -> None:
    from cloud.billing.errors import PaymentDeclined
    from cloud.billing.payments import start_card_payment
    from cloud.core.idempotency import IdempotencyKeyReused

    httpserver.expect_request("/v1/payment_intents").respond_with_json({"error": {
        "type": "idempotency_error", "message": "Keys for idempotent requests can only be "
        "used with the same parameters they were first used with."}}, status=400)
    with pytest.raises(IdempotencyKeyReused):
        start_card_payment(_provider(httpserver), folio_id="f", amount=Money(1, "EUR"),
                           idempotency_key="k")
    httpserver.clear()
    httpserver.expect_request("/v1/payment_intents").respond_with_json({"error": {
        "type": "card_error", "code": "card_declined", "message": "declined"}}, status=402)
    with pytest.raises(PaymentDeclined):
        start_card_payment(_provider(httpserver), folio_id="f", amount=Money(1, "EUR"),
                           idempotency_key="k2")
