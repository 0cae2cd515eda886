"""Stripe Checkout Sessions over the HTTP API (httpx): one hosted page for card (3-D Secure on
Stripe's page), Alipay and WeChat Pay; the result comes only through the signed webhook.

Form-encoded bodies with a Bearer secret key and an ``Idempotency-Key`` header, as Stripe
documents them (https://docs.stripe.com/api/checkout/sessions/create).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from cloud.core.delivery import DeliveryError, request
from cloud.core.money import Money
from cloud.payments.checkout import METHODS, CheckoutSession
from cloud.payments.stripe import _classify

LOCALES = {"en": "en", "es": "es", "zh": "zh", "zh-Hans": "zh"}


class StripeCheckout:
    name = "stripe"

    def __init__(self, client: httpx.Client, *, secret_key: str,
                 base_url: str = "https://api.stripe.com") -> None:
        if not secret_key.startswith(("sk_", "rk_")):
            raise ValueError("a Stripe secret key starts with sk_ or rk_")
        self.client, self.base, self.secret_key = client, base_url.rstrip("/"), secret_key

    def create_checkout(self, *, amount: Money, description: str, reference: str, locale: str,
                        success_url: str, cancel_url: str, expires_at: datetime,
                        idempotency_key: str, methods: tuple[str, ...] = METHODS) -> CheckoutSession:
        form = {
            "mode": "payment", "success_url": success_url, "cancel_url": cancel_url,
            "client_reference_id": reference, "locale": LOCALES.get(locale, "auto"),
            "expires_at": str(int(expires_at.timestamp())),
            "line_items[0][quantity]": "1",
            "line_items[0][price_data][currency]": amount.currency.lower(),
            "line_items[0][price_data][unit_amount]": str(amount.minor),
            "line_items[0][price_data][product_data][name]": description,
            "payment_intent_data[metadata][reservation]": reference,
            "metadata[reservation]": reference,
            # 3-D Secure whenever the card's bank supports it, not only when it insists
            "payment_method_options[card][request_three_d_secure]": "automatic",
        }
        form |= {f"payment_method_types[{i}]": m for i, m in enumerate(methods)}
        if "wechat_pay" in methods:
            form["payment_method_options[wechat_pay][client]"] = "web"
        return _session(self._call("POST", "/v1/checkout/sessions", form, idempotency_key))

    def expire_checkout(self, session_id: str) -> CheckoutSession:
        return _session(self._call("POST", f"/v1/checkout/sessions/{session_id}/expire", {},
                                   f"expire:{session_id}"))

    def _call(self, method: str, path: str, form: dict[str, str], key: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.secret_key}", "Idempotency-Key": key}
        response = request(self.client, method, self.base + path, data=form, headers=headers,
                           classifier=_classify)
        try:
            answer = response.json()
        except ValueError as exc:
            raise DeliveryError("Stripe answered with no JSON", permanent=False) from exc
        if not isinstance(answer, dict) or not isinstance(answer.get("id"), str):
            raise DeliveryError(f"unexpected Stripe answer: {response.text[:200]}", permanent=False)
        return answer


def _session(answer: dict[str, Any]) -> CheckoutSession:
    return CheckoutSession(answer["id"], str(answer.get("url") or ""), str(answer.get("status", "open")),
                           str(answer.get("payment_status", "unpaid")))
