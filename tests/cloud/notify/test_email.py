"""The email sender's pure parts: the MIME message it builds and how an SMTP refusal is classed."""

from __future__ import annotations

import base64

from cloud.notify.delivery import OutboundMessage
from cloud.notify.email import _refused, compose


def test_a_queued_email_becomes_text_with_its_attachment_and_unsubscribe_headers() -> None:
    message = OutboundMessage(
        id="01JD0000000000000000000000", channel="email", recipient="ana@example.com", text="Hola Ana",
        language="es", payload={"subject": "Su reserva", "unsubscribe": "https://hotel.test/optout/x",
                                "attachments": [{"filename": "receipt.pdf", "content_type": "application/pdf",
                                                 "b64": base64.b64encode(b"%PDF-1.4").decode()}]})
    mail = compose(message, sender="Hotel <desk@hotel.test>")
    assert mail["Subject"] == "Su reserva" and mail["To"] == "ana@example.com"
    assert "01JD0000000000000000000000" in mail["Message-ID"] and mail["Content-Language"] == "es"
    assert mail["List-Unsubscribe"] == "<https://hotel.test/optout/x>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "receipt.pdf" and attachment.get_content() == b"%PDF-1.4"


def test_a_5xx_refusal_is_a_bounce_and_a_4xx_is_retried() -> None:
    bounce = _refused(550, b"5.1.1 User unknown")
    assert bounce.permanent and bounce.reason.startswith("bounced: 550")
    later = _refused(451, "4.7.1 Try again later")
    assert not later.permanent
