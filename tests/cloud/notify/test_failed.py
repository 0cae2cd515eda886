"""Failed messages are visible to their property's staff with the reason, can be sent again, and
can go by the guest's other channel; the outbox worker then delivers the e-mail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cloud.auth.models import AuditEntry
from cloud.core.delivery import DeliveryError
from cloud.notify.models import OutboxMessage
from cloud.notify.outbox import OutboxWorker, RetryPolicy, enqueue
from cloud.notify.simulated import SimulatedSender
from tests.cloud.auth.portal_app import PASSWORD, PortalApp, fast_auth_env, portal_app

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> Iterator[PortalApp]:
    fast_auth_env(monkeypatch)
    with portal_app(sqlite_url) as app:
        yield app


def _client(portal: PortalApp, username: str) -> TestClient:
    client = portal.client()
    token = client.post("/api/v1/auth/tokens", json={"username": username, "password": PASSWORD})
    client.headers["Authorization"] = f"Bearer {token.json()['token']}"
    return client


def _dead_whatsapp(portal: PortalApp) -> str:
    """A booking confirmation the WhatsApp API refused for good."""
    sessions = portal.auth.sessionmaker
    with sessions.begin() as s:
        enqueue(s, channel="whatsapp", recipient="34600111222", template="booking_confirmation",
                language="es", payload={"text": "Su reserva", "params": []}, dedupe_key="booking:F1",
                now=NOW, site="hotel", alternatives={"email": "ana@example.com"})
    refusing = SimulatedSender("whatsapp", [DeliveryError("131026 not a WhatsApp number", permanent=True)])
    worker = OutboxWorker(sessions, {"whatsapp": refusing}, policy=RetryPolicy(), clock=lambda: NOW)
    worker.run_once()
    with sessions() as s:
        return s.scalars(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == "booking:F1")).one()


def test_a_dead_message_is_listed_with_its_reason_and_its_other_channel(portal: PortalApp) -> None:
    message_id = _dead_whatsapp(portal)
    listed = _client(portal, "front_desk-hotel").get("/api/v1/notify/failed").json()
    assert [(m["id"], m["status"], m["reason"], m["alternatives"]) for m in listed] == [
        (message_id, "dead", "131026 not a WhatsApp number", ["email"])]
    assert _client(portal, "front_desk-annex").get("/api/v1/notify/failed").json() == []
    assert _client(portal, "maintenance-hotel").get("/api/v1/notify/failed").status_code == 403


def test_sending_by_email_queues_the_same_message_once_and_it_is_delivered(portal: PortalApp) -> None:
    message_id = _dead_whatsapp(portal)
    desk = _client(portal, "front_desk-hotel")
    sent = desk.post(f"/api/v1/notify/failed/{message_id}/send-by/email")
    assert sent.status_code == 201
    again = desk.post(f"/api/v1/notify/failed/{message_id}/send-by/email")
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    assert desk.post(f"/api/v1/notify/failed/{message_id}/send-by/telegram").status_code == 409
    assert _client(portal, "front_desk-annex").post(
        f"/api/v1/notify/failed/{message_id}/send-by/email").status_code == 404
    email = SimulatedSender("email")
    OutboxWorker(portal.auth.sessionmaker, {"email": email}, policy=RetryPolicy(),
                 clock=lambda: NOW).run_once()
    assert [(m.recipient, m.text) for m in email.sent] == [("ana@example.com", "Su reserva")]
    with portal.auth.sessionmaker() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "message.send_instead")).one()
    assert (entry.actor, entry.entity_id) == ("front_desk-hotel", message_id)


def test_retry_sends_it_again_with_fresh_attempts(portal: PortalApp) -> None:
    message_id = _dead_whatsapp(portal)
    retried = _client(portal, "manager-hotel").post(f"/api/v1/notify/failed/{message_id}/retry").json()
    assert (retried["status"], retried["attempts"]) == ("pending", 0)
    whatsapp = SimulatedSender("whatsapp")
    OutboxWorker(portal.auth.sessionmaker, {"whatsapp": whatsapp}, policy=RetryPolicy(),
                 clock=lambda: datetime.now(UTC)).run_once()
    assert [m.id for m in whatsapp.sent] == [message_id]


def test_the_page_lists_them_with_their_buttons(portal: PortalApp) -> None:
    _dead_whatsapp(portal)
    client = portal.client()
    portal.sign_in(client, "front_desk-hotel")
    page = client.get("/messages/failed")
    assert page.status_code == 200 and "131026 not a WhatsApp number" in page.text
    assert "/send-by" in page.text and "/retry" in page.text
