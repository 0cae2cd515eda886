"""E-mail sender over SMTP (the standard library's ``smtplib``): the guests' second channel.

``POSADA_SMTP_URL`` is ``smtp://user:password@host:587`` (STARTTLS) or ``smtps://...:465``
(TLS from the start). A recipient the server refuses is a permanent failure; a server that is
unreachable or answers with a temporary (4xx) code is worth retrying.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from cloud.core.delivery import DeliveryError
from cloud.notify.delivery import OutboundMessage

SUBJECTS = {"en": "Your stay", "es": "Su estancia", "zh-Hans": "您的住宿"}


class EmailSender:
    channel = "email"

    def __init__(self, url: str, *, sender: str, timeout_s: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("POSADA_SMTP_URL: smtp://[user:password@]host[:port] or smtps://...")
        self.tls = parts.scheme == "smtps"
        self.host, self.port = parts.hostname, parts.port or (465 if self.tls else 587)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender, self.timeout_s = sender, timeout_s

    def send(self, message: OutboundMessage) -> str:
        mail = EmailMessage()
        mail["From"], mail["To"] = self.sender, message.recipient
        mail["Subject"] = SUBJECTS.get(message.language, SUBJECTS["en"])
        mail["Message-ID"] = f"<{message.id}@posada>"  # the same on every retry
        mail.set_content(message.text)
        if message.image_png:
            mail.add_attachment(message.image_png, maintype="image", subtype="png", filename="payment-qr.png")
        try:
            with self._connect() as smtp:
                if self.user and self.password:
                    smtp.login(self.user, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {exc.recipients}", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.smtp_code}", permanent=500 <= exc.smtp_code < 600) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP unreachable: {type(exc).__name__}", permanent=False) from exc
        return message.id

    def _connect(self) -> smtplib.SMTP:
        if self.tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s,
                                    context=ssl.create_default_context())
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        smtp.starttls(context=ssl.create_default_context())
        return smtp
