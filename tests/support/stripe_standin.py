"""A local stand-in for Stripe: the parts of its API the cloud uses, as Stripe documents them.

Form-encoded bodies with bracketed keys, ``Authorization: Bearer sk_...``, ``Idempotency-Key``
(the same key with the same body answers the stored response; with another body, an
``idempotency_error``), errors as ``{"error": {"type", "code", "message"}}``. Checkout Sessions
with a hosted page that takes a card (3-D Secure for the test card 4000 0027 6000 3184, declined
for 4000 0000 0000 0002), Alipay (the test authorize page) or WeChat Pay (the QR page); refunds.
Each result is sent to the webhook endpoint signed as Stripe signs (``Stripe-Signature:
t=...,v1=HMAC-SHA256(secret, "t.payload")``), and every event sent is kept for tests to replay.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from cloud.payments.stripe import sign_webhook

SECRET_KEY = "sk_test_standin"
THREE_DS_CARD = "4000002760003184"
DECLINED_CARD = "4000000000000002"
Deliver = Callable[[bytes, dict[str, str]], int]


def _error(status: int, kind: str, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "code": code, "message": message}}, status_code=status)


@dataclass
class StripeStandIn:
    webhook_secret: str
    deliver: Deliver | None = None  # posts a signed event to the cloud's webhook; returns the status
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str], dict[str, str]]] = field(default_factory=list)
    _idempotent: dict[str, tuple[str, Response]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._ids):06d}"

    def send(self, kind: str, obj: dict[str, Any]) -> int:
        """Sign and post one event as Stripe would; the status the endpoint answered."""
        event = {"id": self.new_id("evt"), "object": "event", "type": kind, "created": int(time.time()),
                 "livemode": False, "data": {"object": obj}}
        payload = json.dumps(event).encode()
        headers = {"Stripe-Signature": sign_webhook(payload, secret=self.webhook_secret,
                                                    timestamp=int(time.time())),
                   "Content-Type": "application/json"}
        self.events.append((payload, headers))
        return self.deliver(payload, headers) if self.deliver else 0

    def pay(self, session_id: str, method: str) -> dict[str, Any]:
        """The guest completed the hosted page: the session is paid, the event sent."""
        cs = self.sessions[session_id]
        if cs["status"] == "open":
            cs.update(status="complete", payment_status="paid", payment_intent=self.new_id("pi"),
                      payment_method_types=[method])
            self.send("checkout.session.completed", cs)
        return cs


def nested(form: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][0][c]=v`` pairs as nested dicts (lists stay dicts keyed by index)."""
    out: dict[str, Any] = {}
    for key, value in form:
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def make_app(standin: StripeStandIn) -> FastAPI:
    app = FastAPI()

    async def api_call(request: Request, handler: Callable[[dict[str, Any]], Response]) -> Response:
        if request.headers.get("authorization") != f"Bearer {SECRET_KEY}":
            return _error(401, "invalid_request_error", "api_key_invalid", "Invalid API Key provided")
        body = (await request.body()).decode()
        form = parse_qsl(body, keep_blank_values=True)
        standin.requests.append((request.url.path, dict(request.headers), dict(form)))
        key = request.headers.get("idempotency-key")
        digest = hashlib.sha256(f"{request.url.path}?{body}".encode()).hexdigest()
        with standin._lock:
            if key and key in standin._idempotent:
                seen, answer = standin._idempotent[key]
                if seen != digest:
                    return _error(400, "idempotency_error", "idempotency_key_in_use",
                                  "Keys for idempotent requests can only be used with the same parameters")
                return answer
            answer = handler(nested(form))
            if key and answer.status_code < 500:
                standin._idempotent[key] = (digest, answer)
            return answer

    @app.post("/v1/checkout/sessions")
    async def create_session(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")

        def create(form: dict[str, Any]) -> Response:
            try:
                item = form["line_items"]["0"]
                amount, currency = int(item["price_data"]["unit_amount"]), item["price_data"]["currency"]
                success_url, cancel_url = form["success_url"], form.get("cancel_url", "")
            except (KeyError, ValueError):
                return _error(400, "invalid_request_error", "parameter_missing", "line_items and success_url")
            if form.get("mode") != "payment" or amount < 1:
                return _error(400, "invalid_request_error", "parameter_invalid_integer", "amount")
            expires_at = int(form.get("expires_at", time.time() + 86400))
            if not time.time() + 1800 - 5 <= expires_at <= time.time() + 86400:
                return _error(400, "invalid_request_error", "parameter_invalid_integer",
                              "expires_at must be between 30 minutes and 24 hours from now")
            methods = list(form.get("payment_method_types", {"0": "card"}).values())
            cs_id = standin.new_id("cs")
            cs = {"id": cs_id, "object": "checkout.session", "mode": "payment", "status": "open",
                  "payment_status": "unpaid", "amount_total": amount, "currency": currency,
                  "client_reference_id": form.get("client_reference_id"), "expires_at": expires_at,
                  "metadata": form.get("metadata", {}), "payment_intent": None, "locale": form.get("locale"),
                  "payment_method_types": methods, "success_url": success_url, "cancel_url": cancel_url,
                  "url": f"{base}/pay/{cs_id}"}
            standin.sessions[cs_id] = cs
            return JSONResponse(cs)

        return await api_call(request, create)

    @app.post("/v1/checkout/sessions/{cs_id}/expire")
    async def expire_session(request: Request, cs_id: str) -> Response:
        def expire(_form: dict[str, Any]) -> Response:
            cs = standin.sessions.get(cs_id)
            if cs is None:
                return _error(404, "invalid_request_error", "resource_missing", f"No such session: '{cs_id}'")
            if cs["status"] != "open":
                return _error(400, "invalid_request_error", "checkout_session_not_open", "not open")
            cs["status"] = "expired"
            standin.send("checkout.session.expired", cs)
            return JSONResponse(cs)

        return await api_call(request, expire)

    @app.post("/v1/refunds")
    async def refund(request: Request) -> Response:
        def create(form: dict[str, Any]) -> Response:
            intents = {cs["payment_intent"]: cs for cs in standin.sessions.values() if cs["payment_intent"]}
            cs = intents.get(form.get("payment_intent", ""))
            if cs is None:
                return _error(404, "invalid_request_error", "resource_missing", "No such payment_intent")
            amount = int(form.get("amount", cs["amount_total"]))
            if amount > cs["amount_total"]:
                return _error(400, "invalid_request_error", "amount_too_large", "Refund amount is too large")
            obj = {"id": standin.new_id("re"), "object": "refund", "amount": amount, "status": "succeeded",
                   "currency": cs["currency"], "payment_intent": cs["payment_intent"]}
            return JSONResponse(obj)

        return await api_call(request, create)

    @app.get("/pay/{cs_id}", response_class=HTMLResponse)
    async def hosted(cs_id: str) -> Response:
        cs = standin.sessions.get(cs_id)
        if cs is None or cs["status"] != "open":
            return HTMLResponse("<h1>This checkout is no longer available</h1>", status_code=404)
        buttons = "".join(
            f'<button name="method" value="{m}">{m}</button>'
            for m in cs["payment_method_types"] if m != "card")
        return HTMLResponse(
            f"<h1>Pay {cs['amount_total']} {cs['currency'].upper()}</h1>"
            f'<form method="post"><label>Card number <input name="card" id="card"></label>'
            f'<button name="method" value="card">Pay</button>{buttons}</form>')

    @app.post("/pay/{cs_id}")
    async def submit(request: Request, cs_id: str) -> Response:
        cs = standin.sessions.get(cs_id)
        if cs is None or cs["status"] != "open":
            return HTMLResponse("<h1>This checkout is no longer available</h1>", status_code=404)
        form = dict(parse_qsl((await request.body()).decode()))
        method, card = form.get("method", "card"), form.get("card", "").replace(" ", "")
        if method == "card" and card == DECLINED_CARD:
            return HTMLResponse("<h1>Your card was declined</h1>", status_code=402)
        if method == "card" and card == THREE_DS_CARD:
            return RedirectResponse(f"/3ds/{cs_id}", status_code=303)
        if method == "alipay":
            return RedirectResponse(f"/alipay/{cs_id}", status_code=303)
        if method == "wechat_pay":
            return HTMLResponse(f'<h1>Scan with WeChat</h1><form method="post" action="/authorize/{cs_id}">'
                                '<button name="method" value="wechat_pay">Simulate scan</button></form>')
        standin.pay(cs_id, "card")
        return RedirectResponse(cs["success_url"], status_code=303)

    @app.get("/3ds/{cs_id}", response_class=HTMLResponse)
    async def challenge(cs_id: str) -> Response:
        return HTMLResponse(f'<h1>3D Secure 2 Test Page</h1><form method="post" action="/authorize/{cs_id}">'
                            '<button name="method" value="card">Complete authentication</button>'
                            '<button name="method" value="fail">Fail authentication</button></form>')

    @app.get("/alipay/{cs_id}", response_class=HTMLResponse)
    async def alipay(cs_id: str) -> Response:
        return HTMLResponse('<h1>Alipay test payment page</h1>'
                            f'<form method="post" action="/authorize/{cs_id}">'
                            '<button name="method" value="alipay">Authorize test payment</button>'
                            '<button name="method" value="fail">Fail test payment</button></form>')

    @app.post("/authorize/{cs_id}")
    async def authorize(request: Request, cs_id: str) -> Response:
        cs = standin.sessions.get(cs_id)
        if cs is None or cs["status"] != "open":
            return HTMLResponse("<h1>This checkout is no longer available</h1>", status_code=404)
        method = dict(parse_qsl((await request.body()).decode())).get("method", "card")
        if method == "fail":
            return RedirectResponse(cs["cancel_url"] or cs["success_url"], status_code=303)
        standin.pay(cs_id, method)
        return RedirectResponse(cs["success_url"], status_code=303)

    return app
