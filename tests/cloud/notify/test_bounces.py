"""A bounce that arrives after the message left (a delivery status notification, RFC 3464) marks
the sent email bounced and lists it with the failed messages; anything else changes nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cloud.notify import dsn
from cloud.notify.models import OutboxMessage
from cloud.notify.outbox import OutboxWorker, RetryPolicy, enqueue
from cloud.notify.simulated import SimulatedSender
from tests.cloud.auth.portal_app import PASSWORD, PortalApp, fast_auth_env, portal_app

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
TOKEN = "bounce-token-0123456789"
SENT_ID = "<20270301090000.1.2.sim-email-1@hotel.test>"


def report(message_id: str = SENT_ID, *, action: str = "failed", status: str = "5.1.1",
           headers_only: bool = False) -> bytes:
    """A DSN as Postfix writes one: a human part, the delivery status, the original (or its headers)."""
    original = (f"Content-Type: text/rfc822-headers\n\nMessage-ID: {message_id}\nSubject: Su reserva\n"
                if headers_only else
                f"Content-Type: message/rfc822\n\nMessage-ID: {message_id}\nSubject: Su reserva\n\nHola\n")
    return (
        "From: MAILER-DAEMON@mx.hotel.test\nTo: desk@hotel.test\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="B1"\n\n'
        "--B1\nContent-Type: text/plain\n\nI'm sorry to have to inform you that your message could not be "
        "delivered.\n\n--B1\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.hotel.test\nArrival-Date: Mon,  1 Mar 2027 09:00:01 +0000\n\n"
        f"Final-Recipient: rfc822; ana@example.com\nOriginal-Recipient: rfc822;ana@example.com\n"
        f"Action: {action}\nStatus: {status}\nRemote-MTA: dns; mx.example.com\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <ana@example.com>: Recipient address rejected: User unknown\n\n"
        f"--B1\n{original}\n--B1--\n").encode()


def test_a_report_names_the_failed_recipient_and_the_original_message() -> None:
    for headers_only in (False, True):
        (bounce,) = dsn.parse(report(headers_only=headers_only))
        assert (bounce.message_id, bounce.recipient, bounce.status, bounce.permanent) == (
            SENT_ID, "ana@example.com", "5.1.1", True)
        assert "User unknown" in bounce.diagnostic
    assert dsn.parse(report(action="delayed", status="4.4.1")) == []  # a delay is no bounce


@pytest.mark.parametrize("raw", [b"", b"hello", b"Content-Type: text/plain\n\nbounce?",
                                 b"Content-Type: multipart/report; report-type=disposition-notification\n\n"])
def test_what_is_no_delivery_report_is_refused(raw: bytes) -> None:
    with pytest.raises(dsn.NotAReport):
        dsn.parse(raw)


@settings(max_examples=60)
@given(st.binary(max_size=600))
def test_hostile_bytes_are_refused_or_read_never_crash(raw: bytes) -> None:
    with contextlib.suppress(dsn.NotAReport):
        dsn.parse(b'Content-Type: multipart/report; report-type="delivery-status"; boundary="b"\n\n' + raw)


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> Iterator[PortalApp]:
    fast_auth_env(monkeypatch)
    monkeypatch.setenv("POSADA_SMTP_BOUNCE_TOKEN", TOKEN)
    with portal_app(sqlite_url) as app:
        yield app


class _Mta(SimulatedSender):
    """Takes the message and answers its Message-ID, as the SMTP sender does."""

    def send(self, message: object) -> str:
        super().send(message)  # type: ignore[arg-type]
        return SENT_ID


def _sent_email(portal: PortalApp) -> str:
    sessions = portal.auth.sessionmaker
    with sessions.begin() as s:
        enqueue(s, channel="email", recipient="ana@example.com", template="email_booking_confirmed",
                language="es", payload={"subject": "Su reserva", "text": "Hola", "params": []},
                dedupe_key="mail:B1",
                now=NOW, site="hotel")
    OutboxWorker(sessions, {"email": _Mta("email")}, policy=RetryPolicy(), clock=lambda: NOW).run_once()
    with sessions() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == "mail:B1")).one()
        assert (row.status, row.provider_id) == ("sent", SENT_ID)
        return row.id


def _desk(portal: PortalApp) -> TestClient:
    client = portal.client()
    token = client.post("/api/v1/auth/tokens", json={"username": "front_desk-hotel", "password": PASSWORD})
    client.headers["Authorization"] = f"Bearer {token.json()['token']}"
    return client


def test_a_later_bounce_marks_the_sent_email_and_lists_it_with_the_failed(portal: PortalApp) -> None:
    message_id = _sent_email(portal)
    client = portal.client()
    url = "/api/v1/notify/email/bounces"
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "message/rfc822"}
    wrong = {**auth, "Authorization": "Bearer wrong"}
    assert client.post(url, content=report(), headers=wrong).status_code == 403
    refused = client.post(url, content=b"not a report", headers=auth)
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert client.post(url, content=report("<someone-else@x>"), headers=auth).json() == {
        "reported": 1, "bounced": 0}
    with portal.auth.sessionmaker() as s:
        assert s.get(OutboxMessage, message_id).status == "sent"  # type: ignore[union-attr]
    assert client.post(url, content=report(), headers=auth).json() == {"reported": 1, "bounced": 1}
    assert client.post(url, content=report(), headers=auth).json() == {"reported": 1, "bounced": 0}  # again
    (listed,) = _desk(portal).get("/api/v1/notify/failed").json()
    assert listed["id"] == message_id and listed["status"] == "dead"
    assert listed["reason"].startswith("bounced: 5.1.1") and "User unknown" in listed["reason"]
