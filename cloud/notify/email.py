"""Guest email over SMTP with STARTTLS (stdlib ``smtplib``), one connection per message.

The queued payload carries the subject, the plain text, optional HTML and attachments (base64);
the outbox row id becomes the Message-ID, so a resent message is recognisable as the same one. A
server that refuses the recipient or the content for good (5xx) is a permanent failure whose
reason starts with ``bounced:``, which the outbox records on the dead row; 4xx, timeouts and lost
connections retry. A server that does not offer STARTTLS is refused (no clear-text fallback).
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from cloud.core.delivery import DeliveryError
from cloud.notify.delivery import OutboundMessage


class EmailSender:
    channel = "email"

    def __init__(self, *, host: str, port: int, sender: str, starttls: bool = True,
                 username: str | None = None, password: str | None = None,
                 ca_file: str | None = None, timeout_s: float = 20.0) -> None:
        self.host, self.port, self.sender, self.starttls = host, port, sender, starttls
        self.username, self.password, self.timeout_s = username, password, timeout_s
        self.context = ssl.create_default_context(cafile=ca_file)

    def send(self, message: OutboundMessage) -> str:
        mail = compose(message, sender=self.sender)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                smtp.ehlo()
                if self.starttls:
                    if not smtp.has_extn("starttls"):
                        raise DeliveryError("the SMTP server offers no STARTTLS", permanent=False)
                    smtp.starttls(context=self.context)
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()))
            raise _refused(code, reason) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise _refused(exc.smtp_code, exc.smtp_error) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP login refused: {exc.smtp_code}", permanent=False) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP: {exc}", permanent=False) from exc
        return str(mail["Message-ID"])


def _refused(code: int, reason: bytes | str) -> DeliveryError:
    text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
    if 500 <= code < 600:
        return DeliveryError(f"bounced: {code} {text}"[:500], permanent=True)
    return DeliveryError(f"SMTP {code} {text}"[:500], permanent=False)


def compose(message: OutboundMessage, *, sender: str) -> EmailMessage:
    """The MIME message of a queued email: text (and HTML) with its attachments."""
    payload = message.payload
    mail = EmailMessage()
    mail["From"], mail["To"] = sender, message.recipient
    mail["Subject"] = str(payload.get("subject", ""))
    mail["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2].rstrip(">") or "localhost"
    mail["Message-ID"] = make_msgid(idstring=message.id, domain=domain)
    unsubscribe = payload.get("unsubscribe")
    if unsubscribe:
        mail["List-Unsubscribe"] = f"<{unsubscribe}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    mail.set_content(message.text)
    if payload.get("html"):
        mail.add_alternative(str(payload["html"]), subtype="html")
    for item in payload.get("attachments", []):
        maintype, _, subtype = str(item["content_type"]).partition("/")
        mail.add_attachment(base64.b64decode(item["b64"]), maintype=maintype, subtype=subtype,
                            filename=str(item["filename"]))
    mail["Content-Language"] = message.language  # last: set_content and attachments move Content-* headers
    return mail
