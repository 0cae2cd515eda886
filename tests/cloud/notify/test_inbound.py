from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from cloud.core.db import make_sessionmaker
from cloud.core.problems import install_problem_handlers
from cloud.notify.inbound import inbound_messages
from cloud.notify.models import Contact
from cloud.notify.outbox import OutboxWorker, RetryPolicy, enqueue, image_payload
from cloud.notify.routes import NotifyContext, get_context, router
from cloud.notify.settings import NotifySettings
from cloud.notify.simulated import SimulatedSender

BODY = (Path(__file__).parent / "fixtures" / "whatsapp_inbound_text.json").read_bytes()
SECRET = "app-secret"
AT = datetime.fromtimestamp(1764072000, UTC)


@pytest.fixture
def client(sqlite_only: Engine) -> Iterator[TestClient]:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    context = NotifyContext(
        sessions=make_sessionmaker(sqlite_only),
        settings=NotifySettings(whatsapp_app_secret=SECRET, whatsapp_verify_token="vt"),
        clock=lambda: AT)
    app.dependency_overrides[get_context] = lambda: context
    with TestClient(app) as test_client:
        yield test_client


def _signed(body: bytes) -> dict[str, str]:
    mac = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={mac}", "Content-Type": "application/json"}


def test_subscription_echoes_the_challenge_only_for_our_verify_token(client: TestClient) -> None:
    ok = client.get("/api/v1/notify/whatsapp/webhook", params={
        "hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "1158201444"})
    assert (ok.status_code, ok.text) == (200, "1158201444")
    bad = client.get("/api/v1/notify/whatsapp/webhook", params={
        "hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"})
    assert bad.status_code == 403


def test_a_signed_stop_word_opts_the_guest_out_and_opens_the_window(
    client: TestClient, sqlite_only: Engine,
) -> None:
    response = client.post("/api/v1/notify/whatsapp/webhook", content=BODY,
                           headers=_signed(BODY))
    assert response.json() == {"messages": 1}
    with make_sessionmaker(sqlite_only)() as session:
        contact = session.get(Contact, ("whatsapp", "5215512345678"))
        assert contact is not None and contact.opted_out
    sender = SimulatedSender("whatsapp")
    with make_sessionmaker(sqlite_only).begin() as session:
        enqueue(session, channel="whatsapp", recipient="5215512345678", template="t",
                language="es", payload=image_payload("x", None, []), dedupe_key="k", now=AT)
    OutboxWorker(make_sessionmaker(sqlite_only), {"whatsapp": sender}, policy=RetryPolicy(),
                 clock=lambda: AT).run_once()
    assert sender.sent == []


def test_a_message_from_the_guest_opens_the_24_hour_window(
    client: TestClient, sqlite_only: Engine,
) -> None:
    body = BODY.replace(b'"BAJA"', b'"hola"')
    client.post("/api/v1/notify/whatsapp/webhook", content=body, headers=_signed(body))
    sender = SimulatedSender("whatsapp")
    sessions = make_sessionmaker(sqlite_only)
    for i, hours in enumerate((23, 25)):
        with sessions.begin() as session:
            enqueue(session, channel="whatsapp", recipient="5215512345678", template="t",
                    language="es", payload=image_payload(f"m{i}", None, []),
                    dedupe_key=f"k{i}", now=AT)
        OutboxWorker(sessions, {"whatsapp": sender}, policy=RetryPolicy(),
                     clock=lambda h=hours: AT + timedelta(hours=h)).run_once(limit=1)
    assert [m.in_session_window for m in sender.sent] == [True, False]


def test_an_unsigned_or_tampered_webhook_is_refused(client: TestClient) -> None:
    url = "/api/v1/notify/whatsapp/webhook"
    assert client.post(url, content=BODY).status_code == 403
    tampered = client.post(url, content=BODY.replace(b"BAJA", b"hola"), headers=_signed(BODY))
    assert tampered.status_code == 403
    assert tampered.headers["content-type"] == "application/problem+json"


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(
                        ["entry", "changes", "value", "messages", "from", "timestamp", "text",
                         "body", "button"]), inner, max_size=4), max_leaves=30))
def test_any_json_shape_parses_without_crashing(body: object) -> None:
    if isinstance(body, dict):
        assert isinstance(inbound_messages(body), list)


def test_statuses_and_malformed_senders_are_skipped() -> None:
    body = json.loads(BODY)
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message["from"] = "+52 55"
    assert inbound_messages(body) == []
