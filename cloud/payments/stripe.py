"""Stripe over its HTTP API (httpx): PaymentIntents, refunds, webhook signatures.

Requests are form-encoded with a Bearer secret key and an ``Idempotency-Key`` header, so a
retried call after a timeout never charges twice. Webhooks carry ``Stripe-Signature:
t=<unix>,v1=<hex>``: v1 is HMAC-SHA256 with the endpoint secret over ``"<t>.<raw body>"``;
we accept any matching v1 within the tolerance window and refuse everything else.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from cloud.core.delivery import DeliveryError, classify, request
from cloud.core.money import Money
from cloud.payments.provider import ProviderPayment

STATUS = {"succeeded": "succeeded", "canceled": "failed", "failed": "failed"}


class WebhookRefused(ValueError):
    """A webhook whose signature, timestamp or body cannot be trusted."""


class StripeProvider:
    name = "stripe"

    def __init__(self, client: httpx.Client, *, secret_key: str,
                 base_url: str = "https://api.stripe.com") -> None:
        if not secret_key.startswith(("sk_", "rk_")):
            raise ValueError("a Stripe secret key starts with sk_ or rk_")
        self.client = client
        self.base = base_url.rstrip("/")
        self.secret_key = secret_key

    def create_payment(self, *, amount: Money, idempotency_key: str, description: str,
                       metadata: dict[str, str]) -> ProviderPayment:
        form = {"amount": str(amount.minor), "currency": amount.currency.lower(),
                "description": description, "automatic_payment_methods[enabled]": "true"}
        form |= {f"metadata[{key}]": value for key, value in metadata.items()}
        answer = self._post("/v1/payment_intents", form, idempotency_key)
        return ProviderPayment(str(answer["id"]), STATUS.get(answer.get("status", ""), "pending"),
                               answer.get("client_secret"))

    def refund(self, *, payment_id: str, amount: Money, idempotency_key: str) -> ProviderPayment:
        form = {"payment_intent": payment_id, "amount": str(amount.minor)}
        answer = self._post("/v1/refunds", form, idempotency_key)
        return ProviderPayment(str(answer["id"]), STATUS.get(answer.get("status", ""), "pending"))

    def _post(self, path: str, form: dict[str, str], idempotency_key: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.secret_key}",
                   "Idempotency-Key": idempotency_key}
        response = request(self.client, "POST", self.base + path, data=form, headers=headers,
                           classifier=_classify)
        try:
            answer = response.json()
        except ValueError as exc:
            raise DeliveryError("Stripe answered with no JSON", permanent=False) from exc
        if not isinstance(answer, dict) or "id" not in answer:
            raise DeliveryError(f"unexpected Stripe answer: {response.text[:200]}",
                                permanent=False)
        return answer


def _classify(response: httpx.Response) -> DeliveryError:
    """Stripe: 402 card declined and 400/401/403/404/409 are final; 429 and 5xx retry."""
    error = classify(response)
    try:
        detail = response.json()["error"]
        error.reason = f"{detail.get('type')}: {detail.get('code')}: {detail.get('message')}"
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    return error


def verify_webhook(payload: bytes, header: str, *, secret: str, now: float,
                   tolerance_s: int = 300) -> dict[str, Any]:
    """The event, if ``Stripe-Signature`` proves it came from Stripe within the window."""
    timestamp, signatures = _parse_signature_header(header)
    signed = f"{timestamp}.".encode() + payload
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, sig) for sig in signatures):
        raise WebhookRefused("no v1 signature matches")
    if abs(now - timestamp) > tolerance_s:
        raise WebhookRefused("timestamp outside the tolerance window")
    try:
        event = json.loads(payload)
    except ValueError:
        raise WebhookRefused("body is not JSON") from None
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise WebhookRefused("body is not a Stripe event")
    return event


def _parse_signature_header(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit() and value.isascii():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise WebhookRefused("Stripe-Signature needs t= and at least one v1=")
    return timestamp, signatures


def sign_webhook(payload: bytes, *, secret: str, timestamp: int) -> str:
    """A header as Stripe would send it (for the simulated provider and tests)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"
