"""The e-mail sender: what it hands the SMTP server, and which failures are worth a retry."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

import pytest

from cloud.core.delivery import DeliveryError
from cloud.notify import email
from cloud.notify.delivery import OutboundMessage
from cloud.notify.email import EmailSender

MESSAGE = OutboundMessage(id="01MSG", channel="email", recipient="ana@example.com", text="Su reserva",
                          language="es", image_png=b"\x89PNG-qr")


class FakeSmtp:
    sent: list[EmailMessage] = []
    failure: Exception | None = None

    def __init__(self, host: str, port: int, **_kw: Any) -> None:
        self.address = (host, port)

    def __enter__(self) -> FakeSmtp:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def login(self, user: str, password: str) -> None:
        assert (user, password) == ("desk", "p@ss")

    def send_message(self, mail: EmailMessage) -> None:
        if FakeSmtp.failure is not None:
            raise FakeSmtp.failure
        FakeSmtp.sent.append(mail)


@pytest.fixture
def sender(monkeypatch: pytest.MonkeyPatch) -> EmailSender:
    FakeSmtp.sent, FakeSmtp.failure = [], None
    monkeypatch.setattr(email.smtplib, "SMTP_SSL", FakeSmtp)
    return EmailSender("smtps://desk:p%40ss@mail.example.com", sender="hotel@example.com")


def test_the_message_goes_with_its_qr_and_a_stable_id(sender: EmailSender) -> None:
    assert sender.send(MESSAGE) == "01MSG"
    mail = FakeSmtp.sent[0]
    assert (mail["To"], mail["From"], mail["Subject"], mail["Message-ID"]) == (
        "ana@example.com", "hotel@example.com", "Su estancia", "<01MSG@posada>")
    assert [part.get_content_type() for part in mail.iter_attachments()] == ["image/png"]


@pytest.mark.parametrize(("failure", "permanent"), [
    (smtplib.SMTPRecipientsRefused({"ana@example.com": (550, b"no such user")}), True),
    (smtplib.SMTPDataError(451, b"try later"), False),
    (smtplib.SMTPDataError(554, b"rejected"), True),
    (ConnectionRefusedError(), False),
])
def test_failures_say_whether_a_retry_can_help(sender: EmailSender, failure: Exception,
                                               permanent: bool) -> None:
    FakeSmtp.failure = failure
    with pytest.raises(DeliveryError) as caught:
        sender.send(MESSAGE)
    assert caught.value.permanent is permanent


def test_a_bad_url_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="POSADA_SMTP_URL"):
        EmailSender("http://mail.example.com", sender="x@example.com")
